import { listHelpDocuments } from "../../lib/domain/help-documents.ts";
import { LOGGED_IN } from "../state.ts";
import { command } from "./types.ts";

/** listhelpdocuments: the paths of this realm's help documents, one per line (each starts with /). NORESULTS if none. */
export default command({
  name: "listhelpdocuments",
  states: LOGGED_IN,
  async handle(ctx) {
    const paths = await listHelpDocuments(ctx.db, ctx.realm.id);
    if (!paths.length) return { status: "NORESULTS", data: "this realm has no help documents" };
    return { status: "OK", data: paths };
  },
});
