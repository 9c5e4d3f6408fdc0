// The five fields createsubscription and deletesubscription take, as the original: type,
// onuser (user id or username of this realm; blank = yourself), oncomputer, onsetting,
// deletewithtarget (true/false). Fields that do not apply to the type are left blank.
import { parseSubscription, type SubscriptionSpec } from "../../lib/domain/subscriptions.ts";
import { resolveLocalUser } from "../../lib/domain/settings.ts";
import { fields } from "./args.ts";
import type { RealmContext } from "./types.ts";

const NAMES = ["type", "onuser", "oncomputer", "onsetting", "deletewithtarget"] as const;

export async function subscriptionArgs(ctx: RealmContext, args: Buffer): Promise<SubscriptionSpec> {
  const [type, onUser, onComputer, onSetting, deleteWithTarget] = fields(args, NAMES);
  // The type and flags are checked before any lookup, so bad input never costs a query.
  parseSubscription({ type, onComputer, onSetting, deleteWithTarget }, "");
  const target = await resolveLocalUser(ctx.db, ctx.realm.id, onUser, ctx.session!.userId);
  return parseSubscription({ type, onComputer, onSetting, deleteWithTarget }, target.id);
}
