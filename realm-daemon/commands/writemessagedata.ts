import { ProtocolError, splitWithTrailingData } from "../../lib/protocol/index.ts";
import { writeMessageData } from "../../lib/domain/message-data.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, int } from "./args.ts";
import { command } from "./types.ts";

/**
 * writemessagedata: id, offset, length, then `length` bytes of data (the last bytes of the
 * packet). Writing past the current size grows the message and charges the sender; over quota
 * the answer is QUOTAEXCEEDED and nothing is written. OK data: the message's new size.
 */
export default command({
  name: "writemessagedata",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const r = splitWithTrailingData(args, 3, 2);
    if (!r.ok) throw new ProtocolError("BADARGUMENTS", `expected: id, offset, length, data (${r.error.reason})`);
    const [id, offset] = r.value.fields;
    const size = await writeMessageData(ctx.db, caller(ctx), id, BigInt(int(offset, "offset")), r.value.data);
    return { status: "OK", data: size.toString() };
  },
});
