// What the realm publishes for a computer (its `public-og-*` settings), cached for the LAN
// layer: announcements and direct-link handshakes are checked against it without asking the
// realm for every datagram. One lookup in flight per computer; answers kept `ttlMs`, a
// computer with no published key `negativeTtlMs`.
import { equalBytes } from "../crypto/bytes.ts";
import { publishedKeys, type KeyDirectoryClient } from "../crypto/key-directory.ts";
import type { PublicComputerKeys } from "../crypto/keys-core.ts";

export type KeyLookup = (userId: string, computer: string) => Promise<PublicComputerKeys | undefined>;

interface Entry {
  at: number;
  keys: Promise<PublicComputerKeys | undefined>;
}

export class PeerKeyCache {
  private entries = new Map<string, Entry>();
  constructor(
    private readonly lookup: KeyLookup,
    private readonly ttlMs = 60_000,
    private readonly negativeTtlMs = 10_000,
    private readonly maxEntries = 1024,
  ) {}

  /** Looks up through a realm client (users of that realm; others give undefined). */
  static forRealm(client: KeyDirectoryClient, opts: { ttlMs?: number; negativeTtlMs?: number } = {}): PeerKeyCache {
    return new PeerKeyCache(
      async (userId, computer) => {
        try {
          return (await publishedKeys(client, userId, computer)).keys;
        } catch {
          return undefined; // another realm's user, no such computer, or the realm unreachable
        }
      },
      opts.ttlMs,
      opts.negativeTtlMs,
    );
  }

  /** True when an answer for this computer is fresh (asking would not reach the realm). */
  cached(userId: string, computer: string, now = Date.now()): boolean {
    const e = this.entries.get(`${userId.toLowerCase()}\0${computer}`);
    return !!e && now - e.at < this.ttlMs;
  }

  get(userId: string, computer: string, now = Date.now()): Promise<PublicComputerKeys | undefined> {
    const key = `${userId.toLowerCase()}\0${computer}`;
    const e = this.entries.get(key);
    if (e && now - e.at < this.ttlMs) return e.keys;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    const keys = this.lookup(userId, computer).catch(() => undefined);
    const entry = { at: now, keys };
    this.entries.delete(key);
    this.entries.set(key, entry);
    void keys.then((k) => {
      // A computer without a key may publish one soon (it is logging in): ask again sooner.
      if (!k && this.entries.get(key) === entry) entry.at = now - this.ttlMs + this.negativeTtlMs;
    });
    return keys;
  }

  /**
   * True when the realm publishes exactly these keys for the computer. A mismatch against an
   * answer older than `recheckAfterMs` asks the realm once more (the computer may have rotated).
   */
  async matches(userId: string, computer: string, keys: PublicComputerKeys, recheckAfterMs = 5_000): Promise<boolean> {
    const same = (k: PublicComputerKeys | undefined) =>
      !!k && equalBytes(k.ed25519, keys.ed25519) && equalBytes(k.x25519, keys.x25519);
    if (same(await this.get(userId, computer))) return true;
    const e = this.entries.get(`${userId.toLowerCase()}\0${computer}`);
    if (!e || Date.now() - e.at < recheckAfterMs) return false;
    this.entries.delete(`${userId.toLowerCase()}\0${computer}`);
    return same(await this.get(userId, computer));
  }
}
