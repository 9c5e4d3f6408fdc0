import { writeInbound } from "../../../lib/federation/inbound-store.ts";
import { fieldsWithData, int } from "../../commands/args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** deliverdata: message id, offset, length, then the bytes (whole blocks; only the last may be short). OK. */
export default peerCommand({
  name: "deliverdata",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const f = fieldsWithData(args, ["message id", "offset", "length"], 2);
    const [messageId, offset] = f.fields;
    await writeInbound(ctx.db, ctx.realm.id, ctx.peerRealmId, messageId, BigInt(int(offset, "offset")), f.data);
    return { status: "OK" };
  },
});
