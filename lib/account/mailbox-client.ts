// The browser's realm client: the client protocol over the realm daemon's WebSocket transport
// (/ws/<realm-slug>, one packet per binary message, no greeting). Browser-safe: the packet
// codec is lib/protocol's (plain Uint8Array, no Buffer), the same one the daemons and the SDK
// use; the tests hand in the `ws` package's WebSocket instead.
// The browser is one of the user's computers (named "web" by default), created on first use
// in account-only mode. The password is used to authenticate and then forgotten.
import {
  bytesToText,
  concatBytes,
  decodeServerPacket,
  encodeRequest,
  joinFieldsWithTrailingData,
  keyValueLines,
  textLines,
} from "../protocol/index.ts";
import { decodeHeader, MAX_HEADER_BYTES, type EnvelopeHeader } from "../envelope.ts";

export const WEB_COMPUTER = "web";

/** Request arguments: raw bytes, or text fields joined with LF. */
export type RequestArgs = Uint8Array | readonly string[];

const lines = (data: Uint8Array) => textLines(bytesToText(data));
const keyValues = (data: Uint8Array) => keyValueLines(lines(data));
export const CHUNK_BYTES = 64_000;

export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

const browserSocket: WebSocketFactory = (url) => new WebSocket(url) as unknown as WebSocketLike;

export class RealmError extends Error {
  constructor(
    readonly status: string,
    readonly reason: string,
    readonly command?: string,
  ) {
    super(reason || status);
    this.name = "RealmError";
  }
}

export interface Reply {
  status: string;
  data: Uint8Array;
}

export interface MessageSummary extends EnvelopeHeader {
  id: string;
  sender: string;
  senderComputer: string;
  /** Stored bytes (header line + body). */
  storedBytes: number;
  /** When it arrived on this realm (ms since the epoch; getmessageinfo's senttime=), if the realm says. */
  receivedAt?: number;
  /** End-to-end encrypted (OGE1): the header fields above were decrypted in the page. */
  encrypted?: boolean;
  /** Why this browser cannot open it (encrypted for other keys, damaged), when it cannot. */
  unreadable?: string;
}

/** A realm the message was queued for without checking its recipients (createmessage's `queued=` lines). */
export interface QueuedNote {
  realmId: string;
  reason: string;
}

type Pending = {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  command: string;
  timer: ReturnType<typeof setTimeout>;
};

export class RealmSocket {
  private nextId = 1;
  private pending = new Map<string, Pending>();
  private notificationListeners = new Set<(event: string, data: Uint8Array) => void>();
  private closeListeners = new Set<(reason: string) => void>();
  closed = false;

  private constructor(
    private readonly ws: WebSocketLike,
    private readonly timeoutMs: number,
  ) {
    ws.onmessage = (ev) => this.onPayload(ev.data);
    ws.onclose = () => this.fail("the connection to the realm closed");
    ws.onerror = () => this.fail("the connection to the realm failed");
  }

  static open(url: string, opts: { factory?: WebSocketFactory; timeoutMs?: number } = {}): Promise<RealmSocket> {
    const timeoutMs = opts.timeoutMs ?? 20_000;
    return new Promise((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = (opts.factory ?? browserSocket)(url);
      } catch (e) {
        reject(new RealmError("DISCONNECTED", e instanceof Error ? e.message : "cannot open the connection"));
        return;
      }
      ws.binaryType = "arraybuffer";
      const timer = setTimeout(() => {
        ws.close();
        reject(new RealmError("TIMEOUT", "the realm server did not answer"));
      }, timeoutMs);
      ws.onopen = () => {
        clearTimeout(timer);
        resolve(new RealmSocket(ws, timeoutMs));
      };
      ws.onerror = () => {
        clearTimeout(timer);
        reject(new RealmError("DISCONNECTED", "cannot reach the realm server"));
      };
      ws.onclose = ws.onerror;
    });
  }

  private onPayload(raw: unknown): void {
    const bytes = raw instanceof ArrayBuffer ? new Uint8Array(raw) : raw instanceof Uint8Array ? raw : null;
    if (!bytes) return;
    const decoded = decodeServerPacket(bytes);
    if (!decoded.ok) return this.fail(`the realm server sent a malformed packet: ${decoded.error.reason}`);
    const p = decoded.value;
    if (p.kind === "notification") {
      for (const l of this.notificationListeners) l(p.event, p.data);
      return;
    }
    const w = this.pending.get(p.id);
    if (!w) return;
    this.pending.delete(p.id);
    clearTimeout(w.timer);
    w.resolve({ status: p.status, data: p.data });
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const [, w] of this.pending) {
      clearTimeout(w.timer);
      w.reject(new RealmError("DISCONNECTED", reason, w.command));
    }
    this.pending.clear();
    for (const l of this.closeListeners) l(reason);
  }

  onNotification(fn: (event: string, data: Uint8Array) => void): () => void {
    this.notificationListeners.add(fn);
    return () => this.notificationListeners.delete(fn);
  }

  onClose(fn: (reason: string) => void): () => void {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  /** Any status; the caller decides. */
  raw(command: string, args?: RequestArgs): Promise<Reply> {
    if (this.closed) return Promise.reject(new RealmError("DISCONNECTED", "not connected", command));
    const id = `w${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RealmError("TIMEOUT", "the realm server did not answer in time", command));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, command, timer });
      this.ws.send(encodeRequest(id, command, args));
    });
  }

  /** OK or a RealmError carrying the status word and reason. */
  async call(command: string, args?: RequestArgs): Promise<Uint8Array> {
    const r = await this.raw(command, args);
    if (r.status !== "OK") throw new RealmError(r.status, bytesToText(r.data), command);
    return r.data;
  }

  close(): void {
    if (!this.closed) this.ws.close(1000);
    this.fail("closed");
  }

  // ------------------------------------------------------------------ commands

  async authenticate(username: string, computer: string, password: string): Promise<string> {
    return keyValues(await this.call("authenticate", [username, computer, password])).userid ?? "";
  }

  async inbox(): Promise<string[]> {
    return lines(await this.call("listinboundmessages"));
  }

  /** getmessageinfo: who sent it, from which computer, stored size, arrival time. */
  async messageInfo(
    id: string,
  ): Promise<{ id: string; sender: string; senderComputer: string; storedBytes: number; receivedAt?: number }> {
    const info = keyValues(await this.call("getmessageinfo", [id]));
    const at = Number(info.senttime);
    return {
      id,
      sender: info.sender ?? "",
      senderComputer: info.sendercomputer ?? "",
      storedBytes: Number(info.size ?? 0),
      receivedAt: info.senttime && Number.isFinite(at) ? at : undefined,
    };
  }

  /** A plaintext message's summary (its envelope header read from the first bytes). */
  async describe(id: string): Promise<MessageSummary> {
    const info = await this.messageInfo(id);
    const size = info.storedBytes;
    let header: EnvelopeHeader = {};
    if (size > 0) {
      let start = await this.readRange(id, 0, Math.min(size, 4096));
      if (start[0] === 0x7b && !start.includes(0x0a) && size > start.length)
        start = await this.readRange(id, 0, Math.min(size, MAX_HEADER_BYTES + 1));
      header = decodeHeader(start)?.header ?? {};
    }
    return { ...info, ...header };
  }

  readRange(id: string, offset: number, length: number): Promise<Uint8Array> {
    return this.call("readmessagedata", [id, String(offset), String(length)]);
  }

  async read(id: string): Promise<Uint8Array> {
    const size = Number(bytesToText(await this.call("getmessagesize", [id])));
    const parts: Uint8Array[] = [];
    for (let off = 0; off < size; off += CHUNK_BYTES)
      parts.push(await this.readRange(id, off, Math.min(CHUNK_BYTES, size - off)));
    return concatBytes(parts);
  }

  async deleteMessage(id: string): Promise<void> {
    await this.call("deletemessage", [id]);
  }

  /**
   * createmessage + setmessagesize + chunked writes + sendmessage, like the CLI's send. Returns the
   * message id. Recipients on other realms are checked by the realm first (NOSUCHUSER at once);
   * `onQueued` hears of realms that could not be asked, for which the message waits.
   */
  async send(
    fromUserId: string,
    recipients: readonly string[],
    body: Uint8Array,
    opts: { onQueued?: (notes: QueuedNote[]) => void; id?: string } = {},
  ): Promise<string> {
    const id = opts.id ?? newMessageId(fromUserId);
    const created = lines(await this.call("createmessage", [id, ...recipients]));
    const queued = created
      .filter((l) => l.startsWith("queued="))
      .map((l) => {
        const [realmId, reason = ""] = l.slice(7).split("\t");
        return { realmId, reason };
      });
    try {
      // Reserve the whole size first, so an over-quota send fails before any data moves.
      await this.call("setmessagesize", [id, String(body.length)]);
      for (let off = 0; off < body.length; off += CHUNK_BYTES) {
        const chunk = body.subarray(off, off + CHUNK_BYTES);
        await this.call("writemessagedata", joinFieldsWithTrailingData([id, String(off), String(chunk.length)], chunk));
      }
      await this.call("sendmessage", [id]);
      if (queued.length) opts.onQueued?.(queued);
    } catch (e) {
      // Retract the half-written message so it stops counting against the quota (as the CLI does).
      await this.call("deletemessage", [id]).catch(() => undefined);
      throw e;
    }
    return id;
  }
}

export function newMessageId(userId: string): string {
  const rnd = crypto.getRandomValues(new Uint8Array(6));
  return `${userId}-${Date.now().toString(36)}${Array.from(rnd, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export interface OpenMailboxOptions {
  url: string;
  username: string;
  password: string;
  computer?: string;
  factory?: WebSocketFactory;
  timeoutMs?: number;
}

/**
 * Why a password must not be sent to this URL, or null: over plain `ws://` it would cross the
 * network readable by anyone on the path, so only a loopback host (the realm daemon on this
 * machine) is allowed without TLS (`wss://`).
 */
export function insecureTransportRefusal(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a WebSocket address.`;
  }
  if (u.protocol === "wss:") return null;
  const host = u.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (u.protocol === "ws:" && (host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host)))
    return null;
  return `Not signing in: the realm's mailbox address (${u.protocol}//${u.host}) is not encrypted, so your password would cross the network readable by anyone on the way. Ask the operator to serve the realm over wss:// (a certificate on the realm daemon's HTTP port, or OPENGROOVE_REALM_WS_URL pointing at a TLS proxy).`;
}

/**
 * Connects and signs in as the browser computer, creating it first (account-only session,
 * createcomputer) if the account does not have it yet. Returns the socket and the user id.
 */
export async function openMailbox(
  o: OpenMailboxOptions,
): Promise<{ socket: RealmSocket; userId: string; createdComputer: boolean }> {
  const computer = o.computer ?? WEB_COMPUTER;
  const refusal = insecureTransportRefusal(o.url);
  if (refusal) throw new Error(refusal);
  const connect = () => RealmSocket.open(o.url, { factory: o.factory, timeoutMs: o.timeoutMs });
  let socket = await connect();
  try {
    return { socket, userId: await socket.authenticate(o.username, computer, o.password), createdComputer: false };
  } catch (e) {
    socket.close();
    if (!(e instanceof RealmError) || e.status !== "BADCOMPUTER") throw e;
  }
  socket = await connect();
  try {
    await socket.authenticate(o.username, "", o.password);
    await socket.call("createcomputer", [computer]);
  } finally {
    socket.close();
  }
  socket = await connect();
  try {
    return { socket, userId: await socket.authenticate(o.username, computer, o.password), createdComputer: true };
  } catch (e) {
    socket.close();
    throw e;
  }
}

/** A sentence for a failed mailbox operation. */
export function explainRealmError(e: unknown): string {
  if (!(e instanceof RealmError)) return e instanceof Error ? e.message : "Something went wrong.";
  switch (e.status) {
    case "BADAUTH":
      return "Wrong password.";
    case "RATELIMITED":
      return "Too many failed sign-ins. Wait 15 minutes and try again.";
    case "UNAUTHORIZED":
      return e.reason || "Not allowed.";
    case "NOSUCHUSER":
      return e.reason ? `${e.reason[0].toUpperCase()}${e.reason.slice(1).replace(/\.?$/, ".")}` : "No such user.";
    case "QUOTAEXCEEDED":
      return `${e.reason} Remove a computer or delete messages on your account page.`;
    case "DISCONNECTED":
    case "TIMEOUT":
      return `Cannot reach the realm server (${e.reason}).`;
    default:
      return e.reason || e.status;
  }
}
