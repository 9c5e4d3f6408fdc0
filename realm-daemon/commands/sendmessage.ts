import { sendMessage } from "../../lib/domain/messages.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, fields } from "./args.ts";
import { command } from "./types.ts";

/**
 * sendmessage: id. Seals the message; recipients online on any daemon instance get
 * `messageavailable` (through NOTIFY). The reply comes after the commit: an OK is durable.
 */
export default command({
  name: "sendmessage",
  states: WITH_COMPUTER,
  async handle(conn, args) {
    const [id] = fields(args, ["id"]);
    const r = await sendMessage(conn.daemon.db.pool, caller(conn), id);
    return { status: "OK", data: [`recipients=${r.deliveries.length}`, `remoterealms=${r.remoteRealms.length}`] };
  },
});
