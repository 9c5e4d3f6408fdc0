import { listInbound } from "../../lib/domain/messages.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller } from "./args.ts";
import { command } from "./types.ts";

/** listinboundmessages: ids of sent messages waiting for this computer, one per line, oldest first. */
export default command({
  name: "listinboundmessages",
  states: WITH_COMPUTER,
  handle: async (ctx) => ({ status: "OK", data: await listInbound(ctx.db, caller(ctx)) }),
});
