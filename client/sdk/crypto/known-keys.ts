// Trust on first use for other users' computer keys (docs/clients.md, "Key changes"). The first
// key seen for a contact's computer is remembered; a different key later is reported as a key
// change — quietly accepted when the old key signed the new one (a rotation), loudly otherwise —
// and a contact's fingerprint can be marked verified after comparing it out of band.
// Browser-safe: storage is a small backend (a JSON file in the CLI, localStorage in a page).
import { fromBase64Url, toBase64Url, equalBytes } from "./bytes.ts";
import { fingerprint, rotationStatement, verify, type PublicComputerKeys } from "./keys-core.ts";

export interface KnownKey {
  x25519: string;
  ed25519: string;
  fingerprint: string;
  firstSeen: string;
  /** Set when the user compared the fingerprint with the contact (`opengroove keys verify`). */
  verifiedAt?: string;
  /** When this key replaced an earlier one, and the earlier fingerprint. */
  changedAt?: string;
  previousFingerprint?: string;
}

export interface KnownKeysBackend {
  load(): Promise<Record<string, KnownKey>>;
  save(all: Record<string, KnownKey>): Promise<void>;
}

/** What checking a contact computer's key found. */
export type KeyCheck =
  | { status: "same"; known: KnownKey }
  | { status: "new"; known: KnownKey }
  /** A different key than remembered; `proven` when the remembered key signed the new one. */
  | { status: "changed"; known: KnownKey; previous: KnownKey; proven: boolean };

export interface KeyChange {
  userId: string;
  computer: string;
  fingerprint: string;
  previousFingerprint: string;
  proven: boolean;
  wasVerified: boolean;
}

/** "laptop of alice@realm has a new key" in one line, for warnings. */
export function describeKeyChange(c: KeyChange): string {
  return `computer "${c.computer}" of ${c.userId} has a new key${
    c.proven ? " (signed by its previous key)" : " (NOT signed by its previous key: verify it with the owner)"
  }${c.wasVerified ? "; it was verified before and is no longer" : ""}; new fingerprint ${c.fingerprint}`;
}

const entryKey = (userId: string, computer: string) => `${userId.toLowerCase()} ${computer}`;

export class KnownKeys {
  constructor(private readonly backend: KnownKeysBackend) {}

  async get(userId: string, computer: string): Promise<KnownKey | undefined> {
    return (await this.backend.load())[entryKey(userId, computer)];
  }

  async all(): Promise<Array<{ userId: string; computer: string; key: KnownKey }>> {
    return Object.entries(await this.backend.load()).map(([k, key]) => {
      const at = k.indexOf(" ");
      return { userId: k.slice(0, at), computer: k.slice(at + 1), key };
    });
  }

  /**
   * Compares `keys` (as published now) with what is remembered, and remembers them. `rotation`
   * is the published `public-og-keyrotation` signature, if any.
   */
  async check(userId: string, computer: string, keys: PublicComputerKeys, rotation?: string): Promise<KeyCheck> {
    const all = await this.backend.load();
    const k = entryKey(userId, computer);
    const old = all[k];
    const now = new Date().toISOString();
    const fp = fingerprint(keys.x25519, keys.ed25519);
    if (old && old.fingerprint === fp) return { status: "same", known: old };
    const entry: KnownKey = {
      x25519: toBase64Url(keys.x25519),
      ed25519: toBase64Url(keys.ed25519),
      fingerprint: fp,
      firstSeen: now,
    };
    if (!old) {
      all[k] = entry;
      await this.backend.save(all);
      return { status: "new", known: entry };
    }
    const oldEd = fromBase64Url(old.ed25519);
    const sig = rotation ? fromBase64Url(rotation) : undefined;
    const proven = !!oldEd && !!sig && verify(oldEd, rotationStatement(keys), sig);
    entry.changedAt = now;
    entry.previousFingerprint = old.fingerprint;
    all[k] = entry;
    await this.backend.save(all);
    return { status: "changed", known: entry, previous: old, proven };
  }

  /** Marks a contact computer's current key verified if `expected` (as shown to its owner) matches. */
  async markVerified(userId: string, computer: string, expected: string): Promise<boolean> {
    const all = await this.backend.load();
    const k = entryKey(userId, computer);
    const e = all[k];
    if (!e || normalizeFingerprint(e.fingerprint) !== normalizeFingerprint(expected)) return false;
    e.verifiedAt = new Date().toISOString();
    await this.backend.save(all);
    return true;
  }
}

export function normalizeFingerprint(f: string): string {
  return f.toLowerCase().replace(/[^0-9a-f]/g, "");
}

/** The public keys a KnownKey records. */
export function knownPublicKeys(k: KnownKey): PublicComputerKeys | undefined {
  const x = fromBase64Url(k.x25519);
  const e = fromBase64Url(k.ed25519);
  return x && e ? { x25519: x, ed25519: e } : undefined;
}

export function sameKeys(a: PublicComputerKeys, b: PublicComputerKeys): boolean {
  return equalBytes(a.x25519, b.x25519) && equalBytes(a.ed25519, b.ed25519);
}

/** An in-memory backend (tests, or a page that keeps nothing). */
export function memoryBackend(): KnownKeysBackend {
  let data: Record<string, KnownKey> = {};
  return {
    load: async () => structuredClone(data),
    save: async (all) => void (data = structuredClone(all)),
  };
}
