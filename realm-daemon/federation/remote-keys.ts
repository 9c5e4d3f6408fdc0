// The public computer keys of users on other realms, for this realm's users who encrypt for them
// (docs/clients.md §1): asked of the user's realm with `publickeys` over the realm-to-realm links
// of the RecipientChecker's pool, and cached a few seconds so the burst a client makes for one
// send (listcomputers, then getusersetting per computer and key) costs one round trip. The short
// cache keeps a key change visible almost at once; the client's known-keys store is where key
// changes are detected and remembered. Concurrent lookups of one user share one request.
import { DomainError } from "../../lib/domain/errors.ts";
import { parseUserId } from "../../lib/domain/usernames.ts";
import { decodePublicKeys, type RemoteComputerKeys } from "../../lib/federation/public-keys.ts";
import { PermanentRefusal } from "./outbound.ts";
import type { Federation } from "./federation.ts";

const CACHE_MS = 5_000;
const MAX_ENTRIES = 1_000;

export class RemoteKeys {
  private cache = new Map<string, { at: number; value: Promise<RemoteComputerKeys[]> }>();

  constructor(private readonly fed: Federation) {}

  /** The computers of `userId` (a user of another realm) with their public-og-* settings. */
  lookup(localRealmId: string, userId: string): Promise<RemoteComputerKeys[]> {
    const key = `${localRealmId}\u0000${userId.toLowerCase()}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < CACHE_MS) return hit.value;
    const value = this.ask(localRealmId, userId);
    this.cache.set(key, { at: now, value });
    // Failures are not cached: the next lookup asks again.
    value.catch(() => this.cache.get(key)?.value === value && this.cache.delete(key));
    if (this.cache.size > MAX_ENTRIES)
      for (const [k, v] of this.cache)
        if (now - v.at >= CACHE_MS || this.cache.size > MAX_ENTRIES) this.cache.delete(k);
    return value;
  }

  private async ask(localRealmId: string, userId: string): Promise<RemoteComputerKeys[]> {
    const target = parseUserId(userId)?.realmId;
    if (!target) throw new DomainError("BADARGUMENTS", `${userId} is not a user id`);
    let lines: string[];
    const ms = this.fed.config.limits.recipientCheckMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      // The same deadline as the recipient check: a realm that does not answer is an error, not a hang.
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      });
      const asked = this.fed.recipients.call(localRealmId, target, "publickeys", [userId]);
      asked.catch(() => undefined);
      lines = (await Promise.race([asked, deadline])).lines;
    } catch (e) {
      // The other realm's own answer (no such user there) goes to the client as it is.
      if (e instanceof PermanentRefusal && (e.status === "NOSUCHUSER" || e.status === "BADARGUMENTS"))
        throw new DomainError(e.status, e.reason);
      const why = e instanceof Error ? e.message : String(e);
      this.fed.log.info({ target, reason: why }, "could not look up public keys on another realm");
      throw new DomainError(
        "FAIL",
        `the keys of ${userId} cannot be looked up now: realm ${target} did not answer (${why})`,
      );
    } finally {
      clearTimeout(timer);
    }
    const computers = decodePublicKeys(lines);
    if (!computers) throw new DomainError("FAIL", `realm ${target} answered the key lookup in an unknown format`);
    return computers;
  }
}
