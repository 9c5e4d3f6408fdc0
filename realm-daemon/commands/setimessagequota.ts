import { ProtocolError } from "../../lib/protocol/index.ts";
import { setImessageQuota } from "../../lib/domain/imessage-quotas.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { quotaSender } from "./imessage-quota-args.ts";
import { command } from "./types.ts";

/**
 * setimessagequota: user id (blank = your default for every other sender), immediate messages
 * per minute (0 refuses that sender; -1 removes the quota, as the original). Within the
 * operator's rate for your account (BADARGUMENTS names it). sendimessage enforces it.
 */
export default command({
  name: "setimessagequota",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [user, rateText] = fields(args, ["user id", "rate"]);
    if (!/^(-1|\d{1,9})$/.test(rateText.trim()))
      throw new ProtocolError("BADARGUMENTS", "rate must be a whole number of messages per minute, or -1 to remove");
    const rate = Number(rateText.trim());
    const sender = await quotaSender(ctx, user);
    if (sender === ctx.session!.userId)
      throw new ProtocolError("BADARGUMENTS", "you cannot set an immediate-message quota on yourself");
    await setImessageQuota(ctx.db, ctx.session!.userId, sender, rate < 0 ? null : rate);
    return { status: "OK" };
  },
});
