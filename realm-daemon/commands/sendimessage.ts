import { sendImessage } from "../../lib/domain/presence.ts";
import { resolveLocalUser } from "../../lib/domain/settings.ts";
import { WITH_COMPUTER } from "../state.ts";
import { fields, isSpaceLayout, spaceFieldsWithData, userIdArg } from "./args.ts";
import { command } from "./types.ts";

/**
 * sendimessage: user id, computer, text; or the original's `id SP user SP computer SP text` (the
 * id, the sender's own, is not kept: the recipient's push carries the server's). A small immediate message to a computer that is
 * online now (on any instance); nothing is stored. The recipient's rate (per sender, per minute,
 * set by the realm or per user) limits each sender: past it, RATELIMITED to the sender and
 * `imessagerejected` is not needed because nothing was delivered. NOSUCHCOMPUTER when offline.
 */
export default command({
  name: "sendimessage",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    let userId: string, computer: string, text: string;
    if (isSpaceLayout(args)) {
      const r = spaceFieldsWithData(args, ["id", "user id", "computer"]);
      [, userId, computer] = r.fields as [string, string, string];
      text = r.data.toString("utf8");
    } else [userId, computer, text] = fields(args, ["user id", "computer", "text"]) as [string, string, string];
    userId = userIdArg(userId);
    const max = ctx.limits.maxImessageBytes;
    if (Buffer.byteLength(text) > max)
      return { status: "TOOLARGE", data: `an immediate message has at most ${max} bytes` };
    const s = ctx.session!;
    const target = await resolveLocalUser(ctx.db, ctx.realm.id, userId, s.userId);
    const r = await sendImessage(ctx.db, {
      from: { userId: s.userId, fullId: s.fullId, computer: s.computer },
      to: { userId: target.id, computer },
      body: text,
      staleMs: ctx.limits.presenceStaleMs,
      confirmMs: ctx.limits.imessageConfirmMs,
    });
    if (r.sent) return { status: "OK" };
    if (r.offline) return { status: "NOSUCHCOMPUTER", data: `${userId} is not online on computer "${computer}"` };
    ctx.notify("imessagerejected", [
      userId,
      computer,
      `rate limit of ${r.ratePerMinute} per minute reached; try again in ${Math.ceil(r.retryAfterMs / 1000)} s`,
    ]);
    return {
      status: "RATELIMITED",
      data: `the recipient accepts at most ${r.ratePerMinute} immediate messages per minute from you`,
    };
  },
});
