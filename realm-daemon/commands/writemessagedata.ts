import { writeMessageData } from "../../lib/domain/message-data.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, fieldsWithData, int } from "./args.ts";
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
    const r = fieldsWithData(args, ["id", "offset", "length"], 2);
    const [id, offset] = r.fields;
    const size = await writeMessageData(ctx.db, caller(ctx), id, BigInt(int(offset, "offset")), r.data);
    return { status: "OK", data: size.toString() };
  },
});
