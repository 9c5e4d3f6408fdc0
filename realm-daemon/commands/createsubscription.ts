import { createSubscription } from "../../lib/domain/subscriptions.ts";
import { WITH_COMPUTER } from "../state.ts";
import { subscriptionArgs } from "./subscription-args.ts";
import { command } from "./types.ts";

/**
 * createsubscription: type, onuser, oncomputer, onsetting, deletewithtarget (see
 * subscription-args.ts). From then on `subscriptionevent` (data: the same five fields) tells this
 * user's computers when the target changes. QUOTAEXCEEDED past the realm's subscriptions limit,
 * ALREADYEXISTS, NOSUCHUSER, NOSUCHCOMPUTER, UNAUTHORIZED (status of a user who does not share
 * it with you; another user's non-public setting).
 */
export default command({
  name: "createsubscription",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const spec = await subscriptionArgs(ctx, args);
    await createSubscription(ctx.db, ctx.session!.userId, spec);
    return { status: "OK" };
  },
});
