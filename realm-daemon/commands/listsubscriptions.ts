import { listSubscriptions } from "../../lib/domain/subscriptions.ts";
import { WITH_COMPUTER } from "../state.ts";
import { command } from "./types.ts";

/**
 * listsubscriptions: one subscription per line, its five fields separated by spaces (blank
 * fields leave two spaces), as the original. NORESULTS when there are none.
 */
export default command({
  name: "listsubscriptions",
  states: WITH_COMPUTER,
  async handle(ctx) {
    const subs = await listSubscriptions(ctx.db, ctx.session!.userId);
    if (!subs.length) return { status: "NORESULTS", data: "no subscriptions" };
    return { status: "OK", data: subs.map((s) => s.join(" ")) };
  },
});
