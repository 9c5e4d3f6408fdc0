import { imessageRate } from "../../lib/domain/imessage-quotas.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { quotaSender } from "./imessage-quota-args.ts";
import { command } from "./types.ts";

/** getlocalimessagequota: user id (blank = your default). → the messages per minute you accept from them. */
export default command({
  name: "getlocalimessagequota",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [user] = fields(args, ["user id"]);
    return {
      status: "OK",
      data: String(await imessageRate(ctx.db, ctx.session!.userId, await quotaSender(ctx, user))),
    };
  },
});
