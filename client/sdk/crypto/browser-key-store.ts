// Where a web page keeps its computer keys and the contacts' keys it has seen (docs/clients.md,
// "Browser key storage"): IndexedDB of the page's origin. The two raw private keys are stored
// encrypted (AES-256-GCM) under a wrapping key that is a non-extractable WebCrypto key, kept in
// the same database: script can use it to unwrap but no API hands its bytes out, so the private
// keys are never in storage in clear and cannot be exported from it. While the mailbox is open
// the unwrapped keys live in the page's memory (the @noble code needs the raw bytes; WebCrypto's
// X25519/Ed25519 are not in every browser).
import { fromBase64Url, toBase64Url } from "./bytes.ts";
import { generateComputerKeys, keysFromPrivate, type ComputerKeys } from "./keys-core.ts";
import type { KnownKey, KnownKeysBackend } from "./known-keys.ts";

const DB_NAME = "opengroove-keys";
const DB_VERSION = 1;
const STORES = { wrap: "wrap", computers: "computers", known: "known" } as const;

/** One browser identity for one account: which computer it is and its sealed private keys. */
export interface BrowserComputerRecord {
  /** `<mailbox URL>\n<username, lower case>` */
  slot: string;
  userId: string;
  computer: string;
  iv: Uint8Array;
  sealed: Uint8Array;
  createdAt: string;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error("IndexedDB request failed"));
  });
}

let opened: Promise<IDBDatabase> | undefined;

function db(): Promise<IDBDatabase> {
  if (typeof indexedDB === "undefined")
    return Promise.reject(new Error("this browser keeps no local storage (IndexedDB): it cannot hold encryption keys"));
  opened ??= new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, DB_VERSION);
    r.onupgradeneeded = () => {
      for (const name of Object.values(STORES))
        if (!r.result.objectStoreNames.contains(name)) r.result.createObjectStore(name);
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => {
      opened = undefined;
      reject(r.error ?? new Error("cannot open the browser's key storage"));
    };
  });
  return opened;
}

async function get<T>(store: string, key: string): Promise<T | undefined> {
  const d = await db();
  return request(d.transaction(store, "readonly").objectStore(store).get(key)) as Promise<T | undefined>;
}

async function put(store: string, key: string, value: unknown): Promise<void> {
  const d = await db();
  const tx = d.transaction(store, "readwrite");
  tx.objectStore(store).put(value, key);
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB write failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB write aborted"));
  });
}

/** The origin's wrapping key: AES-256-GCM, non-extractable, created once. */
async function wrappingKey(): Promise<CryptoKey> {
  const have = await get<CryptoKey>(STORES.wrap, "aes");
  if (have) return have;
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  await put(STORES.wrap, "aes", key);
  // Two tabs may have raced: keep whichever was stored last, and use that one.
  return (await get<CryptoKey>(STORES.wrap, "aes")) ?? key;
}

export function slotFor(url: string, username: string): string {
  return `${url}\n${username.trim().toLowerCase()}`;
}

/** The identity this browser has for the account, with its keys unwrapped; undefined if none. */
export async function loadBrowserComputer(
  slot: string,
): Promise<{ record: BrowserComputerRecord; keys: ComputerKeys } | undefined> {
  const record = await get<BrowserComputerRecord>(STORES.computers, slot);
  if (!record) return undefined;
  const plain = new Uint8Array(
    await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: record.iv as BufferSource },
      await wrappingKey(),
      record.sealed as BufferSource,
    ),
  );
  const v = JSON.parse(new TextDecoder().decode(plain)) as { x25519?: string; ed25519?: string };
  const x = fromBase64Url(v.x25519 ?? "");
  const e = fromBase64Url(v.ed25519 ?? "");
  plain.fill(0);
  if (x?.length !== 32 || e?.length !== 32) throw new Error("the browser's stored computer keys are damaged");
  return { record, keys: keysFromPrivate(x, e) };
}

/** Makes a new key pair for `computer` and stores it (wrapped) for the account. */
export async function createBrowserComputer(
  slot: string,
  userId: string,
  computer: string,
): Promise<{ record: BrowserComputerRecord; keys: ComputerKeys }> {
  const keys = generateComputerKeys();
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(
    JSON.stringify({ x25519: toBase64Url(keys.x25519.privateKey), ed25519: toBase64Url(keys.ed25519.privateKey) }),
  );
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: iv as BufferSource },
      await wrappingKey(),
      plain as BufferSource,
    ),
  );
  plain.fill(0);
  const record: BrowserComputerRecord = { slot, userId, computer, iv, sealed, createdAt: new Date().toISOString() };
  await put(STORES.computers, slot, record);
  return { record, keys };
}

/** Known contact keys of one browser identity, in IndexedDB. */
export function indexedDbKnownKeys(owner: string): KnownKeysBackend {
  return {
    load: async () => (await get<Record<string, KnownKey>>(STORES.known, owner)) ?? {},
    save: (all) => put(STORES.known, owner, all),
  };
}
