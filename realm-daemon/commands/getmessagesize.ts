import { getMessageSize } from "../../lib/domain/messages.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, fields, messageIdArg } from "./args.ts";
import { command } from "./types.ts";

/** getmessagesize: id. OK data: size in bytes. */
export default command({
  name: "getmessagesize",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [id] = fields(args, ["id"]);
    return { status: "OK", data: (await getMessageSize(ctx.db, caller(ctx), messageIdArg(ctx, id))).toString() };
  },
});
