import { WITH_COMPUTER } from "../state.ts";
import { caller, fields, messageIdArg } from "./args.ts";
import { command } from "./types.ts";

/**
 * deletemessage: id. A recipient's delete removes only this computer's entry; the sender's
 * delete retracts the message. OK data: bytes released from the sender's quota (0 while other
 * recipients still wait).
 */
export default command({
  name: "deletemessage",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [id] = fields(args, ["id"]);
    const r = await ctx.messages.delete(caller(ctx), messageIdArg(ctx, id)); // batched with other connections' (group commit)
    return { status: "OK", data: `released=${r.released}` };
  },
});
