// The sender field of the immediate-message quota commands: a user id or username of this
// realm, or blank for the recipient's default (every sender without a quota of their own).
import { resolveLocalUser } from "../../lib/domain/settings.ts";
import type { RealmContext } from "./types.ts";

export async function quotaSender(ctx: RealmContext, user: string): Promise<string> {
  if (!user) return "";
  return (await resolveLocalUser(ctx.db, ctx.realm.id, user, ctx.session!.userId)).id;
}
