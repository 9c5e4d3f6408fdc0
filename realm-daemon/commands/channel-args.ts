// Shared by the channel commands: the caller as the channel domain wants it.
import { resolveLocalUser } from "../../lib/domain/settings.ts";
import type { RealmContext } from "./types.ts";

export function me(ctx: RealmContext) {
  const s = ctx.session!;
  return { userId: s.userId, fullId: s.fullId, computer: s.computer };
}

/** A user id or username of this realm (NOSUCHUSER otherwise). */
export async function localUser(ctx: RealmContext, user: string): Promise<string> {
  return (await resolveLocalUser(ctx.db, ctx.realm.id, user, ctx.session!.userId)).id;
}
