import { leaveRemote } from "../../../lib/federation/workspace-home.ts";
import { fields } from "../../commands/args.ts";
import { workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** wsleave (member's realm → home realm): workspace id, member id. The member left or declined there; it stops pinning here. OK. */
export default peerCommand({
  name: "wsleave",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const [ws, memberId] = fields(args, ["workspace", "member"]);
    await leaveRemote(ctx.db, ctx.realm.id, ctx.peerRealmId, workspaceId(ws), memberId);
    return { status: "OK" };
  },
});
