import { LOGGED_IN } from "../state.ts";
import { command } from "./types.ts";

/**
 * exportaccount: no arguments. Makes the caller's data export (the same tar archive as the
 * web account page) on this server. OK data lines: id=, filename=, size=, sha256=. The client
 * then reads it with readexport; it is kept for 15 minutes, one per user.
 */
export default command({
  name: "exportaccount",
  states: LOGGED_IN,
  async handle(ctx) {
    const e = await ctx.exports.build(ctx.db, ctx.session!.userId);
    ctx.log.info({ userId: ctx.session!.userId, bytes: e.size }, "account export made");
    return { status: "OK", data: [`id=${e.id}`, `filename=${e.filename}`, `size=${e.size}`, `sha256=${e.sha256}`] };
  },
});
