// The typed OpenGroove SDK: one method per protocol command, plus helpers that stream a whole
// message in chunks. Non-OK replies throw OpenGrooveError carrying the status word.
import crypto from "node:crypto";
import { joinFieldsWithTrailingData } from "../../lib/protocol/index.ts";
import {
  openConnection,
  OpenGrooveError,
  type CommandCaller,
  type ConnectOptions,
  type RawConnection,
  type Reply,
} from "./connection.ts";
import { Workspaces } from "./workspaces.ts";
import { Subscriptions } from "./subscriptions.ts";
import { ImessageQuotas } from "./imessage-quotas.ts";
import { HelpDocuments } from "./help-documents.ts";
import { Channels } from "./channels.ts";
import { FollowingConnection, type FollowOptions } from "./following-connection.ts";
import { keyValueLines } from "../../lib/protocol/key-values.ts";
import { drainInbox } from "./drain.ts";

export { OpenGrooveError, type ConnectOptions, type Reply };

// One stored block (lib/domain/messages.ts): aligned whole-block writes skip read-modify-write.
export const CHUNK_BYTES = 65_536;
/** Inbox ids per listinboundmessages page. */
export const INBOX_PAGE = 1000;

const kv = keyValueLines;

export interface Quotas {
  storage: bigint;
  used: bigint;
  messages: bigint;
  workspaces: bigint;
  settings: bigint;
  computers: number;
  computersUsed: number;
  imessageRate: number;
}

export type RegisterResult =
  { status: "OK"; userId: string } | { status: "CONTINUE"; ticket: string; url: string; message: string };

export interface RetryOptions {
  /**
   * How many times `call()` sends a command again after a BUSY reply (the server did not run
   * it: too many requests in flight, or its database unreachable for a moment), waiting 250 ms,
   * then twice as long each time up to 2 s. Default 6 (about 8 s in all); 0 turns retrying off.
   * `request()` never retries: it returns whatever the server answered.
   */
  busyRetries?: number;
}

const BUSY_DELAYS_MS = [250, 500, 1000, 2000];

export class RealmClient implements CommandCaller {
  private ws?: Workspaces;
  private subs?: Subscriptions;
  private imq?: ImessageQuotas;
  private helpDocs?: HelpDocuments;
  private chans?: Channels;
  private constructor(
    readonly raw: RawConnection,
    private readonly busyRetries = 6,
  ) {}

  /** Channels: membership, and sending on a channel connection (client/sdk/channels.ts). */
  get channels(): Channels {
    return (this.chans ??= new Channels(this));
  }

  /** The realm's help documents (client/sdk/help-documents.ts). */
  get help(): HelpDocuments {
    return (this.helpDocs ??= new HelpDocuments(this));
  }

  /** Immediate-message rates this account accepts per sender (client/sdk/imessage-quotas.ts). */
  get imessageQuotas(): ImessageQuotas {
    return (this.imq ??= new ImessageQuotas(this));
  }

  /** Subscriptions to status and settings, and this account's visibility (client/sdk/subscriptions.ts). */
  get subscriptions(): Subscriptions {
    return (this.subs ??= new Subscriptions(this));
  }

  /** Shared workspaces: membership, publish, pull, ack (client/sdk/workspaces.ts). */
  get workspaces(): Workspaces {
    return (this.ws ??= new Workspaces(this));
  }

  /** Connects; the connection follows `switchserver` (and, with `reconnect`, shutdowns and losses). */
  static async connect(opts: ConnectOptions & FollowOptions & RetryOptions): Promise<RealmClient> {
    return new RealmClient(new FollowingConnection(await openConnection(opts), opts), opts.busyRetries);
  }

  /** How many times this client moved to another server connection (switchserver or reconnect). */
  get moves(): number {
    return this.raw instanceof FollowingConnection ? this.raw.moves : 0;
  }

  get fingerprint(): string | undefined {
    return this.raw.peerFingerprint;
  }

  on(event: string, fn: (r: Reply) => void): this {
    this.raw.on(event, fn);
    return this;
  }

  onClose(fn: (e: Error) => void): this {
    this.raw.on("close", fn);
    return this;
  }

  /** The connection ended without close() being called (server gone, network, banned). */
  onLost(fn: (e: OpenGrooveError) => void): this {
    this.raw.on("lost", fn);
    return this;
  }

  /** Sends a command and returns the reply, whatever its status. */
  request(command: string, args?: Uint8Array | readonly string[]): Promise<Reply> {
    return this.raw.request(command, args);
  }

  /** Sends a command and throws unless the status is OK. */
  async call(command: string, args?: Uint8Array | readonly string[]): Promise<Reply> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.raw.request(command, args);
      if (r.status === "OK") return r;
      const err = new OpenGrooveError(r.status, r.text, command);
      if (!err.retryable || attempt >= this.busyRetries || this.raw.closed) throw err;
      await new Promise((w) => setTimeout(w, BUSY_DELAYS_MS[Math.min(attempt, BUSY_DELAYS_MS.length - 1)]));
    }
  }

  close(): void {
    this.raw.close();
  }

  async serverInfo(): Promise<Record<string, string>> {
    return kv((await this.call("getserverinfo")).lines);
  }

  async register(p: {
    username: string;
    password: string;
    invite?: string;
    ticket?: string;
    token?: string;
  }): Promise<RegisterResult> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(p)) if (v !== undefined) q.set(k, v);
    const r = await this.raw.request("registeraccount", Buffer.from(q.toString()));
    if (r.status === "OK") return { status: "OK", userId: kv(r.lines).userid };
    if (r.status === "CONTINUE") {
      const m = kv(r.lines);
      return { status: "CONTINUE", ticket: m.ticket, url: m.url, message: m.message };
    }
    throw new OpenGrooveError(r.status, r.text, "registeraccount");
  }

  async authenticate(username: string, computer: string, password: string): Promise<string> {
    return kv((await this.call("authenticate", [username, computer, password])).lines).userid;
  }

  async createComputer(name: string): Promise<void> {
    await this.call("createcomputer", [name]);
  }

  /** This account's computers, or (with a user id of this realm) another user's. */
  async listComputers(userId?: string): Promise<string[]> {
    return (await this.call("listcomputers", userId ? [userId] : undefined)).lines;
  }

  async deleteComputer(name: string): Promise<void> {
    await this.call("deletecomputer", [name]);
  }

  async setPassword(current: string, next: string): Promise<void> {
    await this.call("setpassword", [current, next]);
  }

  async quotas(): Promise<Quotas> {
    const m = kv((await this.call("getquotas")).lines);
    return {
      storage: BigInt(m.storage),
      used: BigInt(m.used),
      messages: BigInt(m.messages),
      workspaces: BigInt(m.workspaces),
      settings: BigInt(m.settings),
      computers: Number(m.computers),
      computersUsed: Number(m.computersused),
      imessageRate: Number(m.imessagerate),
    };
  }

  newMessageId(userId: string): string {
    return `${userId}-${Date.now().toString(36)}${crypto.randomBytes(6).toString("hex")}`;
  }

  async createMessage(id: string, recipients: Array<string | { userId: string; computer?: string }>): Promise<void> {
    const lines = recipients.map((r) =>
      typeof r === "string" ? r : r.computer ? `${r.userId} ${r.computer}` : r.userId,
    );
    await this.call("createmessage", [id, ...lines]);
  }

  async writeMessageData(id: string, offset: number, data: Buffer): Promise<bigint> {
    const r = await this.call(
      "writemessagedata",
      joinFieldsWithTrailingData([id, String(offset), String(data.length)], data),
    );
    return BigInt(r.text);
  }

  async setMessageSize(id: string, size: number): Promise<void> {
    await this.call("setmessagesize", [id, String(size)]);
  }

  async messageSize(id: string): Promise<number> {
    return Number((await this.call("getmessagesize", [id])).text);
  }

  async readMessageData(id: string, offset: number, length: number): Promise<Buffer> {
    return (await this.call("readmessagedata", [id, String(offset), String(length)])).data;
  }

  async sendMessage(id: string): Promise<void> {
    await this.call("sendmessage", [id]);
  }

  /**
   * A small message in one request and one transaction (`postmessage`): created, written and
   * sent, or nothing at all. The body must fit in one packet (at most CHUNK_BYTES here).
   */
  async post(
    id: string,
    recipients: Array<string | { userId: string; computer?: string }>,
    body: Buffer,
  ): Promise<void> {
    const lines = recipients.map((r) =>
      typeof r === "string" ? r : r.computer ? `${r.userId} ${r.computer}` : r.userId,
    );
    await this.call(
      "postmessage",
      joinFieldsWithTrailingData([id, String(lines.length), ...lines, String(body.length)], body),
    );
  }

  /** createmessage + chunked writes + sendmessage (one `postmessage` when it fits one chunk). `onProgress` gets bytes written so far. */
  async send(
    fromUserId: string,
    recipients: Array<string | { userId: string; computer?: string }>,
    bytes: Uint8Array,
    onProgress?: (done: number, total: number) => void,
  ): Promise<string> {
    const body = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const id = this.newMessageId(fromUserId);
    if (body.length <= CHUNK_BYTES) {
      await this.post(id, recipients, body);
      onProgress?.(body.length, body.length);
      return id;
    }
    await this.createMessage(id, recipients);
    // A multi-chunk message reserves its whole size first, so an over-quota send fails before
    // any data moves;
    if (body.length > CHUNK_BYTES) await this.setMessageSize(id, body.length);
    for (let off = 0; off < body.length; off += CHUNK_BYTES) {
      await this.writeMessageData(id, off, body.subarray(off, off + CHUNK_BYTES));
      onProgress?.(Math.min(off + CHUNK_BYTES, body.length), body.length);
    }
    await this.sendMessage(id);
    return id;
  }

  /** Reads a whole message in chunks. */
  async read(id: string, onProgress?: (done: number, total: number) => void): Promise<Buffer> {
    const size = await this.messageSize(id);
    const parts: Buffer[] = [];
    for (let off = 0; off < size; off += CHUNK_BYTES) {
      parts.push(await this.readMessageData(id, off, Math.min(CHUNK_BYTES, size - off)));
      onProgress?.(Math.min(off + CHUNK_BYTES, size), size);
    }
    return Buffer.concat(parts);
  }

  /** Every message id waiting for this computer, oldest first, fetched a page at a time. */
  async inbox(pageSize = INBOX_PAGE): Promise<string[]> {
    const all: string[] = [];
    for await (const page of this.inboxPages(pageSize)) all.push(...page);
    return all;
  }

  /** One page of the inbox: at most `limit` ids, oldest first, after the id `after` (see docs/protocol.md). */
  async inboxPage(limit: number, after?: string): Promise<string[]> {
    return (await this.call("listinboundmessages", after ? [String(limit), after] : [String(limit)])).lines;
  }

  /**
   * The inbox as a stream of pages, so a backlog of any size never arrives as one packet. Ids
   * already yielded are not repeated (when the cursor message is deleted meanwhile, the server
   * starts again from the oldest).
   */
  async *inboxPages(pageSize = INBOX_PAGE): AsyncGenerator<string[]> {
    const seen = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const page = (await this.inboxPage(pageSize, after)).filter((id) => !seen.has(id));
      if (page.length === 0) return;
      for (const id of page) seen.add(id);
      after = page[page.length - 1];
      yield page;
    }
  }

  /**
   * Downloads and deletes every waiting message, calling `onMessage` with each body before its
   * delete is sent. Messages are read `window` at a time (one `readmessages` request; see
   * drain.ts) and deleted with one `deletemessages` per window, while the next window is being
   * read; the server commits the deletes of many connections together. A message that vanished
   * between the listing and the read (retracted by its sender) is skipped. Returns how many
   * messages were taken.
   */
  async receiveAll(
    onMessage: (id: string, body: Buffer) => void | Promise<void>,
    opts: { window?: number; pageSize?: number } = {},
  ): Promise<number> {
    return drainInbox(this, onMessage, {
      window: opts.window,
      pageSize: opts.pageSize ?? INBOX_PAGE,
      chunkBytes: CHUNK_BYTES,
    });
  }

  /** Deletes several messages in one request (`deletemessages`); one result per id, in order. */
  async deleteMessages(ids: string[]): Promise<Array<{ status: string; released: bigint; reason: string }>> {
    const lines = (await this.call("deletemessages", ids)).lines;
    return lines.map((l) => {
      const [status, rest = ""] = l.split(/ (.*)/s, 2);
      return status === "OK" ? { status, released: BigInt(rest), reason: "" } : { status, released: 0n, reason: rest };
    });
  }

  async outbox(): Promise<string[]> {
    return (await this.call("listoutboundmessages")).lines;
  }

  async messageInfo(
    id: string,
  ): Promise<{ sender: string; senderComputer: string; sent: boolean; size: number; pendingRecipients: number }> {
    const m = kv((await this.call("getmessageinfo", [id])).lines);
    return {
      sender: m.sender,
      senderComputer: m.sendercomputer,
      sent: m.sent === "true",
      size: Number(m.size),
      pendingRecipients: Number(m.pendingrecipients),
    };
  }

  async deleteMessage(id: string): Promise<bigint> {
    return BigInt(kv((await this.call("deletemessage", [id])).lines).released ?? "0");
  }

  async sendImessage(userId: string, computer: string, text: string): Promise<void> {
    await this.call("sendimessage", [userId, computer, text]);
  }

  async setUserSetting(key: string, value: string): Promise<void> {
    await this.call("setusersetting", [key, value]);
  }

  async getUserSetting(key: string, userId = "", computer = ""): Promise<string | null> {
    const r = await this.request("getusersetting", [key, userId, computer]);
    if (r.status === "NORESULTS") return null;
    if (r.status !== "OK") throw new OpenGrooveError(r.status, r.text, "getusersetting");
    return r.text;
  }

  async userStatus(userId: string): Promise<{ online: boolean; computers: string[] }> {
    const lines = (await this.call("getuserstatus", [userId])).lines;
    return {
      online: lines[0] === "online=true",
      computers: lines.filter((l) => l.startsWith("computer=")).map((l) => l.slice(9)),
    };
  }

  /** A setting of the computer this session logged in from. */
  async setComputerSetting(key: string, value: string): Promise<void> {
    await this.call("setcomputersetting", [key, value]);
  }

  /** Deletes a setting of this computer, or of another of the account's computers. */
  async deleteComputerSetting(key: string, computer?: string): Promise<void> {
    await this.call("deletecomputersetting", computer === undefined ? [key] : [computer, key]);
  }

  async searchUsers(prefix: string): Promise<string[]> {
    const r = await this.request("searchusers", [prefix]);
    if (r.status === "NORESULTS") return [];
    if (r.status !== "OK") throw new OpenGrooveError(r.status, r.text, "searchusers");
    return r.lines;
  }

  async ping(): Promise<void> {
    await this.call("ping");
  }
}
