// End-to-end encryption in the browser mailbox (docs/clients.md §6): the page is a computer of
// the user with its own key pair, made and kept in the browser (browser-key-store.ts), its public
// keys published as computer settings. Messages are sealed in the page to every recipient
// computer and opened in the page, with the same OGE1 code as the SDK and CLI
// (client/sdk/crypto/); the realm only ever gets ciphertext. The realm password path is as before
// (openMailbox): the password authenticates the WebSocket session and is forgotten.
import { decodeHeader, MAX_HEADER_BYTES } from "../../lib/envelope.ts";
import { concat } from "../sdk/crypto/bytes.ts";
import {
  createBrowserComputer,
  indexedDbKnownKeys,
  loadBrowserComputer,
  slotFor,
} from "../sdk/crypto/browser-key-store.ts";
import { publishedKeys, publishOwnKeys, type KeyDirectoryClient } from "../sdk/crypto/key-directory.ts";
import { fingerprint, type ComputerKeys } from "../sdk/crypto/keys-core.ts";
import { KnownKeys, type KeyChange, type KnownKeysBackend } from "../sdk/crypto/known-keys.ts";
import { E2EError, recipientKeys, senderTrust, type SenderTrust } from "../sdk/crypto/recipients.ts";
import {
  CHUNK_PLAIN_BYTES,
  isSealed,
  openMessage,
  SealedMessageError,
  sealMessage,
} from "../sdk/crypto/sealed-message.ts";
import {
  newMessageId,
  openMailbox,
  RealmError,
  WEB_COMPUTER,
  type MessageSummary,
  type QueuedNote,
  type RealmSocket,
  type WebSocketFactory,
} from "../../lib/account/mailbox-client.ts";

/** listcomputers / getusersetting / setcomputersetting over the mailbox's WebSocket session. */
export function socketDirectory(socket: RealmSocket): KeyDirectoryClient {
  return {
    async listComputers(userId) {
      const data = await socket.call("listcomputers", userId ? [userId] : undefined);
      return new TextDecoder()
        .decode(data)
        .split("\n")
        .map((l) => l.replace(/\r$/, ""))
        .filter(Boolean);
    },
    async getUserSetting(key, userId = "", computer = "") {
      const r = await socket.raw("getusersetting", [key, userId, computer]);
      if (r.status === "NORESULTS") return null;
      const text = new TextDecoder().decode(r.data);
      if (r.status !== "OK") throw new RealmError(r.status, text, "getusersetting");
      return text;
    },
    async setComputerSetting(key, value) {
      await socket.call("setcomputersetting", [key, value]);
    },
  };
}

/** Where the page keeps its identity; IndexedDB in a browser, anything else in tests. */
export interface BrowserKeyStore {
  load(slot: string): Promise<{ record: { computer: string }; keys: ComputerKeys } | undefined>;
  create(slot: string, userId: string, computer: string): Promise<{ record: { computer: string }; keys: ComputerKeys }>;
  known(owner: string): KnownKeysBackend;
}

export const indexedDbStore: BrowserKeyStore = {
  load: loadBrowserComputer,
  create: createBrowserComputer,
  known: indexedDbKnownKeys,
};

export interface SecureMailbox {
  socket: RealmSocket;
  userId: string;
  /** This browser's computer name ("web", or "web-<hex>" when "web" belongs to another browser). */
  computer: string;
  keys: ComputerKeys;
  fingerprint: string;
  known: KnownKeys;
  dir: KeyDirectoryClient;
}

/**
 * Opens the mailbox as this browser's own computer. First time on this browser: the computer
 * "web" if no other browser holds keys for it, else a new "web-<hex>"; a key pair is made and
 * kept here, and its public keys are published. Later: the same computer and keys.
 */
export async function openSecureMailbox(o: {
  url: string;
  username: string;
  password: string;
  factory?: WebSocketFactory;
  store?: BrowserKeyStore;
}): Promise<SecureMailbox> {
  const store = o.store ?? indexedDbStore;
  const slot = slotFor(o.url, o.username);
  const mine = await store.load(slot);
  const open = (computer: string) => openMailbox({ ...o, computer });
  let session = await open(mine?.record.computer ?? WEB_COMPUTER);
  let identity = mine;
  try {
    if (!identity) {
      let computer = WEB_COMPUTER;
      const taken =
        !session.createdComputer &&
        (await publishedKeys(socketDirectory(session.socket), session.userId, computer)).keys;
      if (taken) {
        // Another browser (or this one before its storage was cleared) holds the keys of "web".
        session.socket.close();
        computer = `${WEB_COMPUTER}-${Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, "0")).join("")}`;
        session = await open(computer);
      }
      identity = await store.create(slot, session.userId, computer);
    }
    const dir = socketDirectory(session.socket);
    const computer = identity.record.computer;
    await publishOwnKeys(dir, { userId: session.userId, computer }, identity.keys);
    return {
      socket: session.socket,
      userId: session.userId,
      computer,
      keys: identity.keys,
      fingerprint: fingerprint(identity.keys.x25519.publicKey, identity.keys.ed25519.publicKey),
      known: new KnownKeys(store.known(`${session.userId} ${computer}`)),
      dir,
    };
  } catch (e) {
    session.socket.close();
    throw e;
  }
}

/**
 * Sends `body` (the CLI envelope) to each user: sealed in the page to every computer of every
 * recipient, unless `plaintext`. NOKEY (E2EError) when a recipient computer publishes no key.
 */
export async function sendSecure(
  m: SecureMailbox,
  to: string[],
  body: Uint8Array,
  opts: { plaintext?: boolean; onQueued?: (q: QueuedNote[]) => void } = {},
): Promise<{ id: string; encrypted: boolean; keyChanges: KeyChange[] }> {
  const id = newMessageId(m.userId);
  if (opts.plaintext) {
    await m.socket.send(m.userId, to, body, { id, onQueued: opts.onQueued });
    return { id, encrypted: false, keyChanges: [] };
  }
  const keyChanges: KeyChange[] = [];
  const recipients = await recipientKeys(m.dir, m.known, to, {
    onKeyChange: (c) => keyChanges.push(c),
    // Keys that cannot be had (a realm server that does not federate, the other realm down) are
    // NOKEY: the user may still choose to send it readable by the realm.
    mapError: (u, e) =>
      e instanceof RealmError && e.status === "NOSUCHUSER" && /not a user of this realm/.test(e.reason)
        ? new E2EError("NOKEY", `the keys of ${u} cannot be looked up: this realm server cannot ask its realm`)
        : e instanceof RealmError && e.status === "FAIL" && /cannot be looked up now/.test(e.reason)
          ? new E2EError("NOKEY", e.reason)
          : e,
  });
  const sealer = sealMessage({ id, from: m.userId, computer: m.computer, keys: m.keys, recipients });
  const parts: Uint8Array[] = [];
  for await (const f of sealer.frames([body])) parts.push(f);
  await m.socket.send(
    m.userId,
    recipients.map((r) => `${r.userId} ${r.computer}`),
    concat(...parts),
    { id, onQueued: opts.onQueued },
  );
  return { id, encrypted: true, keyChanges };
}

const fromServer = (s: { sender: string; senderComputer: string }) =>
  s.senderComputer === "" && /::postmaster$/i.test(s.sender);

function unreadableReason(e: unknown): string {
  if (e instanceof SealedMessageError && e.code === "NOTFORME")
    return "It was encrypted for another key: this browser cannot open it (read it on the computer it was meant for).";
  if (e instanceof SealedMessageError) return `It cannot be opened: ${e.message}.`;
  return e instanceof Error ? e.message : String(e);
}

/**
 * A message's summary for the inbox. For an encrypted message the subject and file name are in
 * its first chunk, decrypted here (authenticated by the chunk's tag; the signature is checked
 * when it is opened).
 */
export async function describeSecure(m: SecureMailbox, id: string): Promise<MessageSummary> {
  const head = await m.socket.messageInfo(id);
  const size = head.storedBytes;
  const start = size >= 8 ? await m.socket.readRange(id, 0, 8) : new Uint8Array(0);
  if (fromServer(head) || !isSealed(start)) return m.socket.describe(id);
  const hlen = new DataView(start.buffer, start.byteOffset, 8).getUint32(4);
  const want = Math.min(size, 8 + hlen + 5 + CHUNK_PLAIN_BYTES + 16);
  const it = openMessage(readStored(m.socket, id, want), { keyring: [m.keys], expectId: id });
  try {
    const r = await it.next();
    const first = r.done ? new Uint8Array(0) : r.value;
    const header = decodeHeader(first.subarray(0, MAX_HEADER_BYTES + 1))?.header ?? {};
    return { ...head, ...header, encrypted: true };
  } catch (e) {
    return { ...head, encrypted: true, unreadable: unreadableReason(e) };
  } finally {
    await it.return(undefined).catch(() => undefined);
  }
}

async function* readStored(socket: RealmSocket, id: string, size: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < size; off += 64_000) {
    const d = await socket.readRange(id, off, Math.min(64_000, size - off));
    if (!d.length) return;
    yield d;
  }
}

export interface OpenedInPage {
  bytes: Uint8Array;
  encrypted: boolean;
  fromServer: boolean;
  trust: SenderTrust;
  fingerprint?: string;
  keyChange?: KeyChange;
}

/**
 * Reads and opens a whole message in the page. An encrypted one must name the sender the realm
 * authenticated, and its signature must verify (checked after the last chunk): otherwise this
 * rejects and nothing of it is shown.
 */
export async function readSecure(
  m: SecureMailbox,
  s: Pick<MessageSummary, "id" | "sender" | "senderComputer" | "storedBytes">,
): Promise<OpenedInPage> {
  const server = fromServer(s);
  const start = s.storedBytes >= 4 ? await m.socket.readRange(s.id, 0, 4) : new Uint8Array(0);
  if (server || !isSealed(start))
    return { bytes: await m.socket.read(s.id), encrypted: false, fromServer: server, trust: "none" };
  let trust: SenderTrust = "unknown";
  let fp: string | undefined;
  let keyChange: KeyChange | undefined;
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of openMessage(readStored(m.socket, s.id, s.storedBytes), {
      keyring: [m.keys],
      expectId: s.id,
      onHeader: async (h) => {
        if (h.from.toLowerCase() !== s.sender.toLowerCase() || h.computer !== s.senderComputer)
          throw new E2EError(
            "SENDERMISMATCH",
            `it claims to be from computer “${h.computer}” of ${h.from}, but the realm says computer “${s.senderComputer}” of ${s.sender}`,
          );
        fp = fingerprint(h.senderKeys.x25519, h.senderKeys.ed25519);
        ({ trust, keyChange } = await senderTrust(m.dir, m.known, h.from, h.computer, h.senderKeys));
      },
    }))
      parts.push(chunk);
  } catch (e) {
    if (e instanceof E2EError) throw new Error(`This message was refused: ${e.message}.`);
    throw new Error(unreadableReason(e));
  }
  return { bytes: concat(...parts), encrypted: true, fromServer: false, trust, fingerprint: fp, keyChange };
}

/** One sentence on how a message was protected and how far its sender's key is trusted. */
export function describeProtection(o: Pick<OpenedInPage, "encrypted" | "fromServer" | "trust" | "fingerprint">): {
  text: string;
  warning: boolean;
} {
  if (o.fromServer) return { text: "From the realm’s server (not encrypted).", warning: false };
  if (!o.encrypted) return { text: "Not encrypted: the realm could read this message.", warning: true };
  switch (o.trust) {
    case "verified":
      return { text: "End-to-end encrypted, from a verified key.", warning: false };
    case "known":
      return { text: "End-to-end encrypted, from a known key.", warning: false };
    case "new":
      return {
        text: `End-to-end encrypted. First message from this computer: its key ${o.fingerprint} is now remembered.`,
        warning: false,
      };
    case "changed":
      return {
        text: `End-to-end encrypted, but the sender’s computer has a NEW key ${o.fingerprint}.`,
        warning: true,
      };
    default:
      return {
        text: `End-to-end encrypted, but signed by an UNKNOWN key ${o.fingerprint} (not the one published for that computer).`,
        warning: true,
      };
  }
}
