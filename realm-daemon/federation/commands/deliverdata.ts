import { writeInbound } from "../../../lib/federation/inbound-store.ts";
import { fieldsWithData, int } from "../../commands/args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** deliverdata: message id, offset, length, then the bytes (whole blocks; only the last may be short). OK. */
export default peerCommand({
  name: "deliverdata",
  states: [PeerState.Authenticated],
  async handle(conn, args) {
    const f = fieldsWithData(args, ["message id", "offset", "length"], 2);
    const [messageId, offset] = f.fields;
    await writeInbound(
      conn.federation.daemon.db.pool,
      conn.realm.id,
      conn.peerRealmId,
      messageId,
      BigInt(int(offset, "offset")),
      f.data,
    );
    return { status: "OK" };
  },
});
