import { DomainError } from "../../../lib/domain/errors.ts";
import { receiveInvite } from "../../../lib/federation/workspace-mirror.ts";
import type { WorkspaceRole } from "../../../lib/domain/workspaces.ts";
import { fields } from "../../commands/args.ts";
import { workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

const ROLES: Record<string, WorkspaceRole> = { member: "MEMBER", manager: "MANAGER" };

/**
 * wsinvite (home realm → member's realm): workspace id, name, creator id, member id, role
 * (member/manager). Creates this realm's mirror of the workspace and records the local user as
 * INVITED (notified with workspacechange invited). NOSUCHUSER when the user does not exist here.
 */
export default peerCommand({
  name: "wsinvite",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const [ws, name, creatorId, memberId, role] = fields(args, ["workspace", "name", "creator", "member", "role"]);
    const r = ROLES[role];
    if (!r) throw new DomainError("BADARGUMENTS", `role must be member or manager, not ${role}`);
    await receiveInvite(ctx.db, ctx.realm.id, ctx.peerRealmId, {
      workspaceId: workspaceId(ws),
      name,
      creatorId,
      memberId,
      role: r,
    });
    return { status: "OK" };
  },
});
