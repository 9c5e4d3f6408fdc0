import { ackRemote } from "../../../lib/federation/workspace-home.ts";
import { fields } from "../../commands/args.ts";
import { bigNumber, workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** wsack (member's realm → home realm): workspace id, member id, seq: every computer of the member there has the changes up to seq. OK. */
export default peerCommand({
  name: "wsack",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const [ws, memberId, seq] = fields(args, ["workspace", "member", "seq"]);
    await ackRemote(ctx.db, ctx.realm.id, ctx.peerRealmId, workspaceId(ws), memberId, bigNumber(seq, "seq"));
    return { status: "OK" };
  },
});
