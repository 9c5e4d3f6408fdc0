import { inviteMember, type WorkspaceRole } from "../../lib/domain/workspaces.ts";
import { LOGGED_IN } from "../state.ts";
import { caller, optionalFields } from "./args.ts";
import { workspaceId } from "./workspace-args.ts";
import { command } from "./types.ts";

/**
 * workspaceinvite: workspace id, member user id (this realm or another), optional role
 * (member | manager). Owner and managers only; only the owner invites managers. The invitee
 * gets `workspacechange` (invited) if online. OK data: `member=<canonical user id>`.
 */
export default command({
  name: "workspaceinvite",
  states: LOGGED_IN,
  async handle(conn, args) {
    const [ws, memberId, rawRole] = optionalFields(args, ["workspace", "member", "role"], 2);
    const role = (rawRole || "member").toUpperCase();
    if (role !== "MEMBER" && role !== "MANAGER") return { status: "BADARGUMENTS", data: "role is member or manager" };
    const perms = await conn.daemon.db.pool.query<{ canMessageOtherRealms: boolean }>(
      `SELECT "canMessageOtherRealms" FROM users WHERE id = $1`,
      [conn.session!.userId],
    );
    const member = await inviteMember(
      conn.daemon.db.pool,
      caller(conn),
      workspaceId(ws),
      memberId.trim(),
      role as WorkspaceRole,
      {
        canMessageOtherRealms: perms.rows[0]?.canMessageOtherRealms ?? false,
        maxMembers: conn.daemon.config.limits.maxWorkspaceMembers,
      },
    );
    return { status: "OK", data: `member=${member}` };
  },
});
