import { commitInbound } from "../../../lib/federation/inbound-store.ts";
import { fields } from "../../commands/args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** delivercommit: message id. Seals the message for its recipients here and notifies them. OK once every byte arrived (again OK if already sealed). */
export default peerCommand({
  name: "delivercommit",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const [messageId] = fields(args, ["message id"]);
    const n = await commitInbound(ctx.db, ctx.realm.id, ctx.peerRealmId, messageId);
    ctx.log.debug({ messageId, deliveries: n }, "message taken from peer realm");
    return { status: "OK" };
  },
});
