import { leaveWorkspace } from "../../lib/domain/workspaces.ts";
import { LOGGED_IN } from "../state.ts";
import { caller, fields } from "./args.ts";
import { workspaceId } from "./workspace-args.ts";
import { command } from "./types.ts";

/**
 * workspaceleave: workspace id. Leaves (or declines an invitation): delivery to this account
 * stops, its cursors stop pinning, its unsealed uploads are dropped. OK data: `freed=<changes>`,
 * `released=<bytes>` (changes that no one else was waiting for any more).
 */
export default command({
  name: "workspaceleave",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [ws] = fields(args, ["workspace"]);
    const f = await leaveWorkspace(ctx.db, caller(ctx), workspaceId(ws));
    return { status: "OK", data: [`freed=${f.changes}`, `released=${f.bytes}`] };
  },
});
