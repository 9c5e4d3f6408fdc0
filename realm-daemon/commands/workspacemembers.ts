import { listMembers } from "../../lib/domain/workspaces.ts";
import { LOGGED_IN } from "../state.ts";
import { caller, fields } from "./args.ts";
import { workspaceId } from "./workspace-args.ts";
import { command } from "./types.ts";

/**
 * workspacemembers: workspace id. One line per member: `userid role status lastseen` (ISO time or
 * `-`), and for a member of another realm a fifth field: its invitation `queued`, `delivered` or `refused`.
 */
export default command({
  name: "workspacemembers",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [ws] = fields(args, ["workspace"]);
    const rows = await listMembers(ctx.db, caller(ctx), workspaceId(ws));
    return {
      status: "OK",
      data: rows.map(
        (m) =>
          `${m.memberId} ${m.role.toLowerCase()} ${m.status.toLowerCase()} ${m.lastSeenAt?.toISOString() ?? "-"}${m.invitation ? ` ${m.invitation}` : ""}`,
      ),
    };
  },
});
