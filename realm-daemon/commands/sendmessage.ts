import { sendMessage } from "../../lib/domain/messages.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, int, messageIdArg, optionalFields } from "./args.ts";
import { command } from "./types.ts";

/**
 * sendmessage: id [, expected size]. Seals the message; recipients online on any daemon instance get
 * `messageavailable` (through NOTIFY). The reply comes after the commit: an OK is durable.
 * With an expected size, a message of another size is refused with FAIL and stays unsent, so a
 * client may pipeline createmessage, writemessagedata and sendmessage safely.
 */
export default command({
  name: "sendmessage",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [id, size] = optionalFields(args, ["id", "expected size"], 1);
    const r = await sendMessage(
      ctx.db,
      caller(ctx),
      messageIdArg(ctx, id),
      size === "" ? undefined : BigInt(int(size, "expected size")),
    );
    return { status: "OK", data: [`recipients=${r.deliveries.length}`, `remoterealms=${r.remoteRealms.length}`] };
  },
});
