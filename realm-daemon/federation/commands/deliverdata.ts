import { splitWithTrailingData, ProtocolError } from "../../../lib/protocol/index.ts";
import { writeInbound } from "../../../lib/federation/inbound-store.ts";
import { int } from "../../commands/args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** deliverdata: message id, offset, length, then the bytes (whole blocks; only the last may be short). OK. */
export default peerCommand({
  name: "deliverdata",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const f = splitWithTrailingData(args, 3, 2);
    if (!f.ok)
      throw new ProtocolError("BADARGUMENTS", `expected: message id, offset, length, data (${f.error.reason})`);
    const [messageId, offset] = f.value.fields;
    await writeInbound(ctx.db, ctx.realm.id, ctx.peerRealmId, messageId, BigInt(int(offset, "offset")), f.value.data);
    return { status: "OK" };
  },
});
