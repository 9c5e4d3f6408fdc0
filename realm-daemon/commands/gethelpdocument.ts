import { getHelpDocument } from "../../lib/domain/help-documents.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/**
 * gethelpdocument: path. → the document's HTML (links: help:///<path> to another document,
 * http(s) URLs to open in a browser). NORESULTS when there is none; BADARGUMENTS for a bad path.
 */
export default command({
  name: "gethelpdocument",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [path] = fields(args, ["path"]);
    return { status: "OK", data: await getHelpDocument(ctx.db, ctx.realm.id, path) };
  },
});
