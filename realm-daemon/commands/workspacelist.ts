import { listWorkspaces } from "../../lib/domain/workspaces.ts";
import { LOGGED_IN } from "../state.ts";
import { caller } from "./args.ts";
import { command } from "./types.ts";

/**
 * workspacelist: the account's workspaces (invited, active or suspended), one per line:
 * `id status role head acked name` (acked: this computer's cursor, `-` before its first sync;
 * the name is last and may contain spaces). NORESULTS when there are none.
 */
export default command({
  name: "workspacelist",
  states: LOGGED_IN,
  async handle(ctx) {
    const rows = await listWorkspaces(ctx.db, caller(ctx));
    if (!rows.length) return { status: "NORESULTS", data: "no workspaces" };
    return {
      status: "OK",
      data: rows.map(
        (w) => `${w.id} ${w.status.toLowerCase()} ${w.role.toLowerCase()} ${w.head} ${w.acked ?? "-"} ${w.name}`,
      ),
    };
  },
});
