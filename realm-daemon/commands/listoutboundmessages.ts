import { listOutbound } from "../../lib/domain/messages.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller } from "./args.ts";
import { command } from "./types.ts";

/** listoutboundmessages: ids of this user's messages still held by the realm, one per line. */
export default command({
  name: "listoutboundmessages",
  states: WITH_COMPUTER,
  handle: async (ctx) => ({ status: "OK", data: await listOutbound(ctx.db, caller(ctx)) }),
});
