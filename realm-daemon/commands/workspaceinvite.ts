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
  async handle(ctx, args) {
    const [ws, memberId, rawRole] = optionalFields(args, ["workspace", "member", "role"], 2);
    const role = (rawRole || "member").toUpperCase();
    if (role !== "MEMBER" && role !== "MANAGER") return { status: "BADARGUMENTS", data: "role is member or manager" };
    const member = await inviteMember(ctx.db, caller(ctx), workspaceId(ws), memberId.trim(), role as WorkspaceRole, {
      maxMembers: ctx.limits.maxWorkspaceMembers,
    });
    return { status: "OK", data: `member=${member}` };
  },
});
