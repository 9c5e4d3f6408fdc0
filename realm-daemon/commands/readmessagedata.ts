import { readMessageData } from "../../lib/domain/message-data.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, fields, int, messageIdArg } from "./args.ts";
import { command } from "./types.ts";

/** readmessagedata: id, offset, length. OK data: the bytes (fewer at the end of the message). */
export default command({
  name: "readmessagedata",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [id, offset, length] = fields(args, ["id", "offset", "length"]);
    const data = await readMessageData(
      ctx.db,
      caller(ctx),
      messageIdArg(ctx, id),
      BigInt(int(offset, "offset")),
      int(length, "length", ctx.limits.maxPacketBytes - 512),
    );
    return { status: "OK", data };
  },
});
