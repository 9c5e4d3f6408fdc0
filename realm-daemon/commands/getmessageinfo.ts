import { getMessageInfo } from "../../lib/domain/messages.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, fields, messageIdArg } from "./args.ts";
import { command } from "./types.ts";

/**
 * getmessageinfo: id. OK data lines: sender=, sendercomputer=, sent=true|false, size=,
 * pendingrecipients=, and senttime= (ms since the epoch when it was sent here; for a recipient,
 * when it arrived; absent while unsent). A connection in the original dialect (it authenticated
 * with the original four fields) gets the original's three plain lines instead: sender,
 * computer, true|false.
 */
export default command({
  name: "getmessageinfo",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [id] = fields(args, ["id"]);
    const i = await getMessageInfo(ctx.db, caller(ctx), messageIdArg(ctx, id));
    if (ctx.session!.original) return { status: "OK", data: [i.senderId, i.senderComputer, String(i.sent)] };
    return {
      status: "OK",
      data: [
        `sender=${i.senderId}`,
        `sendercomputer=${i.senderComputer}`,
        `sent=${i.sent}`,
        `size=${i.size}`,
        `pendingrecipients=${i.recipientsPending}`,
        ...(i.sentAt ? [`senttime=${i.sentAt.getTime()}`] : []),
      ],
    };
  },
});
