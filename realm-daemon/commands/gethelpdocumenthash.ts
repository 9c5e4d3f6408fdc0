import { getHelpDocument, helpDocumentHash } from "../../lib/domain/help-documents.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/** gethelpdocumenthash: path. → SHA-256 (hex) of the document, so a client can keep a cached copy. */
export default command({
  name: "gethelpdocumenthash",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [path] = fields(args, ["path"]);
    return { status: "OK", data: helpDocumentHash(await getHelpDocument(ctx.db, ctx.realm.id, path)) };
  },
});
