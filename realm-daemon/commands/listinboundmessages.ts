import { listInbound, listInboundPage } from "../../lib/domain/messages.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, int, optionalFields } from "./args.ts";
import { command } from "./types.ts";

/**
 * listinboundmessages [limit [after id]]: ids of sent messages waiting for this computer, one
 * per line, oldest first. With a limit, one page of at most that many (1 to 10000), after the
 * given id (see docs/protocol.md); without, all of them.
 */
export default command({
  name: "listinboundmessages",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [limit, after] = optionalFields(args, ["limit", "after id"], 0);
    if (limit === "") return { status: "OK", data: await listInbound(ctx.db, caller(ctx)) };
    const n = Math.max(1, int(limit, "limit", 10_000));
    return { status: "OK", data: await listInboundPage(ctx.db, caller(ctx), n, after || undefined) };
  },
});
