import { receiveRemove } from "../../../lib/federation/workspace-mirror.ts";
import { fields } from "../../commands/args.ts";
import { workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** wsremove (home realm → member's realm): workspace id, member id. The member stops receiving and pinning here (notified). OK, also when already gone. */
export default peerCommand({
  name: "wsremove",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const [ws, memberId] = fields(args, ["workspace", "member"]);
    await receiveRemove(ctx.db, ctx.realm.id, ctx.peerRealmId, workspaceId(ws), memberId);
    return { status: "OK" };
  },
});
