import { writeMessageData } from "../../lib/domain/message-data.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, fieldsWithData, int, isSpaceLayout, messageIdArg, spaceFieldsWithData } from "./args.ts";
import { command } from "./types.ts";

/**
 * writemessagedata: id, offset, length, then `length` bytes of data (the last bytes of the
 * packet); or the original's `id SP offset SP length SP data`, where the data is everything
 * after the third space and must be exactly `length` bytes. Writing past the current size grows
 * the message and charges the sender; over quota the answer is QUOTAEXCEEDED and nothing is
 * written. OK data: the message's new size.
 */
export default command({
  name: "writemessagedata",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    let id: string, offset: string, data: Buffer;
    if (isSpaceLayout(args)) {
      const r = spaceFieldsWithData(args, ["id", "offset", "length"]);
      const length = int(r.fields[2]!, "length");
      if (length !== r.data.length)
        return {
          status: "BADARGUMENTS",
          data: `length ${length} does not match the ${r.data.length} bytes after it`,
        };
      [id, offset] = r.fields as [string, string];
      data = r.data;
    } else {
      const r = fieldsWithData(args, ["id", "offset", "length"], 2);
      [id, offset] = r.fields as [string, string];
      data = r.data;
    }
    const size = await writeMessageData(
      ctx.db,
      caller(ctx),
      messageIdArg(ctx, id),
      BigInt(int(offset, "offset")),
      data,
    );
    return { status: "OK", data: size.toString() };
  },
});
