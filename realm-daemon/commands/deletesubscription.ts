import { deleteSubscription } from "../../lib/domain/subscriptions.ts";
import { WITH_COMPUTER } from "../state.ts";
import { subscriptionArgs } from "./subscription-args.ts";
import { command } from "./types.ts";

/** deletesubscription: the five fields createsubscription took. NOSUCHSUBSCRIPTION when there is none. */
export default command({
  name: "deletesubscription",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const spec = await subscriptionArgs(ctx, args);
    await deleteSubscription(ctx.db, ctx.session!.userId, spec);
    return { status: "OK" };
  },
});
