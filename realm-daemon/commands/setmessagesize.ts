import { setMessageSize } from "../../lib/domain/message-data.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, fields, int, messageIdArg } from "./args.ts";
import { command } from "./types.ts";

/** setmessagesize: id, size. Growing charges the sender (QUOTAEXCEEDED if it does not fit); shrinking releases. */
export default command({
  name: "setmessagesize",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [id, size] = fields(args, ["id", "size"]);
    await setMessageSize(ctx.db, caller(ctx), messageIdArg(ctx, id), BigInt(int(size, "size")));
    return { status: "OK" };
  },
});
