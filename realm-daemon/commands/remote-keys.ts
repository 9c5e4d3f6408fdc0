// Shared by listcomputers and getusersetting: a user id of another realm is answered from that
// realm's published keys (publickeys over the realm-to-realm link; docs/clients.md §1), so a
// client encrypts for remote recipients with the same two commands it uses for local ones.
import { DomainError } from "../../lib/domain/errors.ts";
import { parseUserId } from "../../lib/domain/usernames.ts";
import { PUBLIC_KEY_PREFIX, type RemoteComputerKeys } from "../../lib/federation/public-keys.ts";
import type { RealmContext } from "./types.ts";

/** True when `userId` (already in full form) names a user of another realm than this connection's. */
export function isRemoteUser(ctx: RealmContext, userId: string): boolean {
  const p = parseUserId(userId);
  return !!p && p.realmId.toLowerCase() !== ctx.realm.id.toLowerCase();
}

export async function remoteComputers(ctx: RealmContext, userId: string): Promise<RemoteComputerKeys[]> {
  if (!ctx.remotePublicKeys)
    throw new DomainError(
      "NOSUCHUSER",
      `${userId} is not a user of this realm (this realm server does not federate, so it cannot ask that user's realm)`,
    );
  return ctx.remotePublicKeys(userId);
}

/** A public-og-* setting of a remote user's computer; null when unset (or no such computer). */
export async function remoteSetting(
  ctx: RealmContext,
  userId: string,
  computer: string,
  key: string,
): Promise<string | null> {
  if (!key.startsWith(PUBLIC_KEY_PREFIX))
    throw new DomainError(
      "UNAUTHORIZED",
      `only the "${PUBLIC_KEY_PREFIX}" settings (published encryption keys) of users on other realms can be read`,
    );
  const c = (await remoteComputers(ctx, userId)).find((x) => x.computer === computer);
  return c?.settings[key] ?? null;
}
