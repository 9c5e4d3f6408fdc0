// Whom to seal a message to, and how far to trust who sealed one: the logic the SDK's
// SecureMessaging (Node) and the browser mailbox share. Browser-safe: it talks to the realm only
// through a KeyDirectoryClient and remembers keys through KnownKeys (any storage backend).
import { publishedKeys, userComputerKeys, type KeyDirectoryClient, type PublishedComputer } from "./key-directory.ts";
import { fingerprint, type PublicComputerKeys } from "./keys-core.ts";
import { KnownKeys, sameKeys, type KeyChange, type KeyCheck } from "./known-keys.ts";
import type { SealedRecipient } from "./sealed-message.ts";

/** Refusals of the encryption layer (the CLI maps `code` to its error word, the mailbox to a sentence). */
export class E2EError extends Error {
  constructor(
    readonly code: "NOKEY" | "SENDERMISMATCH",
    message: string,
  ) {
    super(message);
    this.name = "E2EError";
  }
}

export type SenderTrust =
  /** The sender's key matches the one remembered and its fingerprint was verified by the user. */
  | "verified"
  /** Matches the key remembered for that computer. */
  | "known"
  /** First message seen from that computer: its key is the one the realm publishes, now remembered. */
  | "new"
  /** The computer's published key changed since it was remembered (see keyChange). */
  | "changed"
  /** The message was signed by a key that is neither remembered nor published for that computer. */
  | "unknown"
  /** Not encrypted (sent with plaintext, or by the server). */
  | "none";

export function toKeyChange(userId: string, computer: string, r: KeyCheck): KeyChange | undefined {
  if (r.status !== "changed") return undefined;
  return {
    userId,
    computer,
    fingerprint: r.known.fingerprint,
    previousFingerprint: r.previous.fingerprint,
    proven: r.proven,
    wasVerified: !!r.previous.verifiedAt,
  };
}

/** Turns "not a user of this realm" style lookups into a NOKEY refusal; other errors pass through. */
export type LookupErrorMapper = (userId: string, e: unknown) => unknown;

/**
 * The recipient computers of `userIds` with their keys, remembered on first sight (a changed
 * key goes to `onKeyChange`). NOKEY when a user has no computer or a computer publishes no key.
 */
export async function recipientKeys(
  dir: KeyDirectoryClient,
  known: KnownKeys,
  userIds: string[],
  opts: { onKeyChange?: (c: KeyChange) => void; mapError?: LookupErrorMapper } = {},
): Promise<SealedRecipient[]> {
  const lists: PublishedComputer[][] = await Promise.all(
    userIds.map((u) =>
      userComputerKeys(dir, u).catch((e: unknown) => {
        throw opts.mapError ? opts.mapError(u, e) : e;
      }),
    ),
  );
  const out: SealedRecipient[] = [];
  for (let i = 0; i < userIds.length; i++) {
    const userId = userIds[i];
    if (!lists[i].length) throw new E2EError("NOKEY", `${userId} has no computer to encrypt the message for`);
    const missing = lists[i].filter((c) => !c.keys).map((c) => `"${c.computer}"`);
    if (missing.length)
      throw new E2EError(
        "NOKEY",
        `computer ${missing.join(", ")} of ${userId} publishes no encryption key (it has not logged in with a client that encrypts); send unencrypted with plaintext, or ask ${userId} to log in there or delete it`,
      );
    for (const c of lists[i]) {
      const change = toKeyChange(userId, c.computer, await known.check(userId, c.computer, c.keys!, c.rotation));
      if (change) opts.onKeyChange?.(change);
      out.push({ userId, computer: c.computer, keys: c.keys! });
    }
  }
  return out;
}

/** How far the key that signed a message is trusted (and remembered, on first sight). */
export async function senderTrust(
  dir: KeyDirectoryClient,
  known: KnownKeys,
  userId: string,
  computer: string,
  keys: PublicComputerKeys,
): Promise<{ trust: SenderTrust; keyChange?: KeyChange }> {
  const remembered = await known.get(userId, computer);
  if (remembered && remembered.fingerprint === fingerprint(keys.x25519, keys.ed25519))
    return { trust: remembered.verifiedAt ? "verified" : "known" };
  // Not the remembered key: accept it only if it is what the realm publishes for that computer.
  const published = await publishedKeys(dir, userId, computer).catch(() => undefined);
  if (!published?.keys || !sameKeys(published.keys, keys)) return { trust: "unknown" };
  const keyChange = toKeyChange(
    userId,
    computer,
    await known.check(userId, computer, published.keys, published.rotation),
  );
  return keyChange ? { trust: "changed", keyChange } : { trust: "new" };
}
