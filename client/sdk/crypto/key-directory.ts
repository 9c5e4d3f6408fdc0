// Looking up the public keys other computers publish on the realm (`public-og-*` computer
// settings), and publishing this computer's own. Works through any client that has the three
// setting commands and `listcomputers [user id]`.
import {
  KEY_SETTINGS,
  parsePublicKeySettings,
  publicKeySettings,
  type ComputerKeys,
  type PublicComputerKeys,
} from "./keys-core.ts";

export interface KeyDirectoryClient {
  listComputers(userId?: string): Promise<string[]>;
  getUserSetting(key: string, userId?: string, computer?: string): Promise<string | null>;
  setComputerSetting(key: string, value: string): Promise<void>;
}

export interface PublishedComputer {
  computer: string;
  /** Undefined when the computer publishes no (valid) key: it never logged in with an encrypting client. */
  keys?: PublicComputerKeys;
  /** `public-og-keyrotation`: the previous key's signature over these keys, when they replaced earlier ones. */
  rotation?: string;
}

const KEYS = [KEY_SETTINGS.format, KEY_SETTINGS.x25519, KEY_SETTINGS.ed25519, KEY_SETTINGS.rotation] as const;

/** One computer's published keys (requests pipelined). */
export async function publishedKeys(
  c: KeyDirectoryClient,
  userId: string,
  computer: string,
): Promise<PublishedComputer> {
  const values = await Promise.all(KEYS.map((k) => c.getUserSetting(k, userId, computer)));
  const settings = Object.fromEntries(KEYS.map((k, i) => [k, values[i]]));
  const keys = parsePublicKeySettings(settings);
  return { computer, keys, rotation: keys ? (settings[KEY_SETTINGS.rotation] ?? undefined) : undefined };
}

/** Every computer of a user of this realm with its published keys. */
export async function userComputerKeys(c: KeyDirectoryClient, userId: string): Promise<PublishedComputer[]> {
  const computers = await c.listComputers(userId);
  return Promise.all(computers.map((name) => publishedKeys(c, userId, name)));
}

/**
 * Publishes this computer's public keys (and a rotation proof, if any) where they differ from
 * what the realm holds. Returns whether anything was written.
 */
export async function publishOwnKeys(
  c: KeyDirectoryClient,
  own: { userId: string; computer: string },
  keys: ComputerKeys,
  rotation?: string,
): Promise<boolean> {
  const want: Record<string, string> = publicKeySettings(keys);
  if (rotation) want[KEY_SETTINGS.rotation] = rotation;
  // Keys first, format last: a reader never sees format "1" next to half-written keys of a new computer.
  const order = [KEY_SETTINGS.rotation, KEY_SETTINGS.x25519, KEY_SETTINGS.ed25519, KEY_SETTINGS.format].filter(
    (k) => k in want,
  );
  const have = await Promise.all(order.map((k) => c.getUserSetting(k, own.userId, own.computer)));
  let changed = false;
  for (let i = 0; i < order.length; i++) {
    if (have[i] === want[order[i]]) continue;
    await c.setComputerSetting(order[i], want[order[i]]);
    changed = true;
  }
  return changed;
}
