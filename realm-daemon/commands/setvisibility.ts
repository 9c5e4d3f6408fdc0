import { parseVisibility, setVisibility } from "../../lib/domain/visibility.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/**
 * setvisibility: who may see your online status and find you with searchusers: `everyone`
 * (the original's `true`), `contacts` (people you share a workspace with) or `nobody` (the
 * original's `false`). Subscribers who lose the right lose their status subscriptions to you
 * at once and get a last `subscriptionevent` for each. → `revoked=<count>`.
 */
export default command({
  name: "setvisibility",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [word] = fields(args, ["visibility"]);
    const v = parseVisibility(word);
    if (!v) return { status: "BADARGUMENTS", data: "visibility must be everyone, contacts or nobody (or true/false)" };
    const revoked = await setVisibility(ctx.db, ctx.session!.userId, v);
    ctx.log.info({ visibility: v, revoked: revoked.length }, "visibility changed");
    return { status: "OK", data: `revoked=${revoked.length}` };
  },
});
