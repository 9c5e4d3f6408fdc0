import { ProtocolError, splitWithTrailingData } from "../../lib/protocol/index.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, int } from "./args.ts";
import { checkRemoteRecipients } from "./remote-recipients.ts";
import { command } from "./types.ts";

/**
 * postmessage: id, recipient count n, n recipient lines (`userid` or `userid computer`), data
 * length, data. createmessage + writemessagedata + sendmessage of a small message (at most one
 * 64 KiB block) in one request and one transaction, committed together with other connections'
 * (group commit): OK means stored and sent, any error means nothing was. Recipients on other
 * realms are checked first, as in createmessage (`queued=` lines in the OK data).
 */
export default command({
  name: "postmessage",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const head = args.subarray(0, 2048).toString("latin1").split("\n", 2);
    const n = head.length === 2 ? int(head[1], "recipient count", 500) : NaN;
    if (Number.isNaN(n))
      throw new ProtocolError("BADARGUMENTS", "expected: id, recipient count, recipients, length, data");
    const r = splitWithTrailingData(args, n + 3, n + 2);
    if (!r.ok)
      throw new ProtocolError("BADARGUMENTS", `expected: id, ${n} recipient(s), length, data (${r.error.reason})`);
    const [id, , ...lines] = r.value.fields;
    const recipients = lines.slice(0, n).map((l) => {
      const [recipientId, computer = ""] = l.trim().split(/\s+/, 2);
      return { recipientId, computer };
    });
    const check = await checkRemoteRecipients(
      ctx,
      recipients.map((x) => x.recipientId),
    );
    if ("refusal" in check) return check.refusal;
    const res = await ctx.messages.post(caller(ctx), id, recipients, r.value.data, ctx.realm.messageRetentionDays);
    return {
      status: "OK",
      data: [`recipients=${res.deliveries.length}`, `remoterealms=${res.remoteRealms.length}`, ...check.notes],
    };
  },
});
