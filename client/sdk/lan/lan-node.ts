// A computer on the LAN (docs/clients.md §5–7): discovery, the direct-link listener, links to
// peers, and delivery with the realm as fallback and source of truth.
// - Immediate messages go over a direct link when the recipient computer is a verified LAN
//   peer and answers within `ackTimeoutMs`; otherwise (no peer, link cut, timeout) through the
//   realm's `sendimessage`. Each carries an id chosen by the sender, so a message that arrives
//   both ways (a reply lost on a link that then failed) reaches the application once.
// - Workspace changes are always published to the realm first (it orders them, charges the
//   quota and keeps each computer's acknowledgement cursor); the bytes then also go directly to
//   member computers on the LAN. A receiver hands a change to the application once, whichever
//   way it came first, and acknowledges to the realm only what the application got.
import { EventEmitter } from "node:events";
import { randomBytes } from "@noble/hashes/utils.js";
import {
  decodeImmediateMessagePush,
  hasControlCharacter,
  joinFieldsWithTrailingData,
  splitFields,
  splitWithTrailingData,
  type PacketData,
  type StatusWord,
} from "../../../lib/protocol/index.ts";
import type { RealmClient } from "../client.ts";
import { toBase64Url } from "../crypto/bytes.ts";
import type { ComputerKeys } from "../crypto/keys-core.ts";
import { LanDiscovery, type DiscoveryOptions, type LanPeer } from "./discovery.ts";
import { DirectServer, type DirectPeer } from "./direct-server.ts";
import { DirectLink, replyText } from "./direct-link.ts";
import { PeerKeyCache } from "./peer-keys.ts";
import { DeliveredSet, WorkspaceDeliveries } from "./deliveries.ts";
import { DirectImessageRates } from "./imessage-rates.ts";
import { OpenGrooveError } from "../connection.ts";

/** Immediate messages through the realm carry the sender's id: `ogim1 <id> <text>`. */
export const IMESSAGE_ENVELOPE = "ogim1";
export const MAX_IMESSAGE_BYTES = 16 * 1024;
/** Larger changes reach LAN peers through the realm only. */
export const MAX_DIRECT_CHANGE_BYTES = 512 * 1024;

export type Via = "direct" | "realm";

export interface LanImessage {
  id: string;
  from: string;
  fromComputer: string;
  text: string;
  via: Via;
}

export interface LanWorkspaceChange {
  workspaceId: string;
  seq: bigint;
  author: string;
  authorComputer: string;
  data: Buffer;
  via: Via;
}

export interface LanNodeOptions {
  client: RealmClient;
  me: { userId: string; computer: string };
  keys: ComputerKeys;
  discovery?: Omit<DiscoveryOptions, "me" | "keys" | "peerKeys" | "directPort">;
  /** False: no UDP socket; peers come only from `discovery.handle()` (a host without multicast, tests). */
  startDiscovery?: boolean;
  /** Direct-link listener: address (default 0.0.0.0) and port (default 63748, 0 = any free). */
  directHost?: string;
  directPort?: number;
  /** How long a direct send waits for the peer's reply before using the realm (default 3 s). */
  ackTimeoutMs?: number;
  /** After a direct failure, that peer is skipped for this long (default 10 s). */
  backoffMs?: number;
  /** A realm `workspacechange` push is acted on after this delay, leaving the direct copy time to arrive (default 1 s). */
  realmSyncDelayMs?: number;
}

/** Events: "imessage" (LanImessage), "workspacechange" (LanWorkspaceChange), "peer" (LanPeer). */
export class LanNode extends EventEmitter {
  readonly peerKeys: PeerKeyCache;
  readonly discovery: LanDiscovery;
  readonly server: DirectServer;
  private links = new Map<string, Promise<DirectLink>>();
  private backoff = new Map<string, number>();
  private imessages = new DeliveredSet();
  private changes: WorkspaceDeliveries;
  private syncTimers = new Map<string, NodeJS.Timeout>();
  private memberCache = new Map<string, { at: number; members: Promise<Set<string>> }>();
  private rates: DirectImessageRates;

  constructor(private readonly o: LanNodeOptions) {
    super();
    this.peerKeys = PeerKeyCache.forRealm(o.client);
    this.server = new DirectServer({
      me: o.me,
      keys: o.keys,
      peerKeys: this.peerKeys,
      host: o.directHost,
      port: o.directPort ?? 63748,
      onRequest: (peer, command, args) => this.onDirect(peer, command, args),
    });
    this.discovery = new LanDiscovery({
      ...o.discovery,
      me: o.me,
      keys: o.keys,
      peerKeys: this.peerKeys,
      directPort: 0, // set in start(), once the listener has its port
    });
    this.discovery.on("peer", (p: LanPeer) => this.emit("peer", p));
    this.changes = new WorkspaceDeliveries();
    this.rates = new DirectImessageRates((sender) => o.client.imessageQuotas.local(sender));
    o.client.on("receiveimessage", (r) => this.onRealmImessage(r.data));
    o.client.workspaces.onEvent((e) => {
      if (e.kind === "change") this.scheduleSync(e.workspaceId);
    });
  }

  async start(): Promise<void> {
    await this.server.start();
    this.discovery.setDirectPort(this.server.port);
    if (this.o.startDiscovery !== false) await this.discovery.start();
  }

  async stop(): Promise<void> {
    this.discovery.stop();
    for (const t of this.syncTimers.values()) clearTimeout(t);
    for (const l of this.links.values()) void l.then((x) => x.close()).catch(() => undefined);
    this.links.clear();
    await this.server.stop();
  }

  peers(): LanPeer[] {
    return this.discovery.peers();
  }

  // ---- links

  private peerKey(userId: string, computer: string): string {
    return `${userId.toLowerCase()}\0${computer}`;
  }

  /** A link to a verified LAN peer, or undefined (not on the LAN, backing off, or unreachable). */
  private async link(userId: string, computer: string): Promise<DirectLink | undefined> {
    const peer = this.discovery.peer(userId, computer);
    if (!peer) return undefined;
    const key = this.peerKey(userId, computer);
    if ((this.backoff.get(key) ?? 0) > Date.now()) return undefined;
    let p = this.links.get(key);
    if (!p) {
      const hosts = [peer.address, ...peer.addresses.filter((a) => a !== peer.address)];
      p = (async () => {
        let last: unknown;
        for (const host of hosts) {
          try {
            return await DirectLink.connect({
              host,
              port: peer.port,
              me: this.o.me,
              keys: this.o.keys,
              expect: { userId: peer.userId, computer: peer.computer },
              peerKeys: this.peerKeys,
              timeoutMs: this.o.ackTimeoutMs ?? 3_000,
            });
          } catch (e) {
            last = e;
          }
        }
        throw last;
      })();
      this.links.set(key, p);
      p.then(
        (l) => l.on("close", () => this.links.get(key) === p && this.links.delete(key)),
        () => this.links.get(key) === p && this.links.delete(key),
      );
    }
    try {
      return await p;
    } catch {
      this.markFailed(key);
      return undefined;
    }
  }

  private markFailed(key: string): void {
    this.backoff.set(key, Date.now() + (this.o.backoffMs ?? 10_000));
    const l = this.links.get(key);
    this.links.delete(key);
    void l?.then((x) => x.close()).catch(() => undefined);
  }

  /** Sends over a direct link: the peer's reply status, or undefined when there is no working link. */
  private async direct(
    userId: string,
    computer: string,
    command: string,
    args: PacketData,
  ): Promise<{ status: StatusWord; text: string } | undefined> {
    const l = await this.link(userId, computer);
    if (!l) return undefined;
    try {
      const r = await l.request(command, args as Uint8Array | readonly string[]);
      return { status: r.status, text: replyText(r) };
    } catch {
      this.markFailed(this.peerKey(userId, computer));
      return undefined;
    }
  }

  // ---- immediate messages

  /** Direct when possible, else through the realm (which may refuse: the error is thrown). */
  async sendImmediate(userId: string, computer: string, text: string): Promise<{ id: string; via: Via }> {
    if (hasControlCharacter(text)) throw new Error("an immediate message may not contain control characters");
    if (Buffer.byteLength(text) > MAX_IMESSAGE_BYTES)
      throw new Error(`an immediate message is at most ${MAX_IMESSAGE_BYTES} bytes`);
    const id = toBase64Url(randomBytes(16));
    const r = await this.direct(userId, computer, "imessage", [id, text]);
    if (r?.status === "OK") return { id, via: "direct" };
    // The recipient applies the same per-sender rate as its realm would: final, like the realm's refusal.
    if (r?.status === "RATELIMITED") throw new OpenGrooveError("RATELIMITED", r.text, "imessage");
    await this.o.client.sendImessage(userId, computer, `${IMESSAGE_ENVELOPE} ${id} ${text}`);
    return { id, via: "realm" };
  }

  private deliverImessage(m: LanImessage): void {
    if (!this.imessages.add(`${m.from.toLowerCase()}\0${m.fromComputer}\0${m.id}`)) return;
    this.emit("imessage", m);
  }

  private onRealmImessage(data: Buffer): void {
    const p = decodeImmediateMessagePush(data);
    if (!p) return;
    const m = /^ogim1 ([A-Za-z0-9_-]{1,64}) ([\s\S]*)$/.exec(p.text);
    this.deliverImessage({
      id: m ? m[1] : `realm:${p.id}`,
      from: p.from,
      fromComputer: p.fromComputer,
      text: m ? m[2] : p.text,
      via: "realm",
    });
  }

  // ---- workspace changes

  /** Active members of a workspace (lower-cased user ids), cached 10 s. */
  private members(workspaceId: string, fresh = false): Promise<Set<string>> {
    const c = this.memberCache.get(workspaceId);
    if (c && !fresh && Date.now() - c.at < 10_000) return c.members;
    const members = this.o.client.workspaces
      .members(workspaceId)
      .then((list) => new Set(list.filter((m) => m.status === "active").map((m) => m.userId.toLowerCase())));
    members.catch(() => this.memberCache.delete(workspaceId));
    this.memberCache.set(workspaceId, { at: Date.now(), members });
    return members;
  }

  /**
   * Publishes to the realm, then sends the bytes directly to the LAN computers of active
   * members. Returns the realm's sequence number and the peers reached directly.
   */
  async publishChange(workspaceId: string, data: Buffer): Promise<{ seq: bigint; size: number; direct: string[] }> {
    const r = await this.o.client.workspaces.publish(workspaceId, data);
    const direct: string[] = [];
    if (data.length > MAX_DIRECT_CHANGE_BYTES) return { ...r, direct };
    const members = await this.members(workspaceId).catch(() => new Set<string>());
    const me = this.o.me;
    await Promise.all(
      this.peers()
        .filter((p) => members.has(p.userId.toLowerCase()))
        .filter((p) => !(p.userId.toLowerCase() === me.userId.toLowerCase() && p.computer === me.computer))
        .map(async (p) => {
          const args = joinFieldsWithTrailingData([workspaceId, String(r.seq), String(data.length)], data);
          if (await this.direct(p.userId, p.computer, "workspacechange", args))
            direct.push(`${p.userId} ${p.computer}`);
        }),
    );
    return { ...r, direct };
  }

  private scheduleSync(workspaceId: string): void {
    if (this.syncTimers.has(workspaceId)) return;
    const t = setTimeout(() => {
      this.syncTimers.delete(workspaceId);
      void this.syncWorkspace(workspaceId).catch(() => undefined);
    }, this.o.realmSyncDelayMs ?? 1_000);
    this.syncTimers.set(workspaceId, t);
  }

  /**
   * Pulls from the realm what this computer has not acknowledged, hands the application every
   * change it did not already get directly, and acknowledges. The realm's listing wins: a change
   * received directly whose author or size differ from the realm's is delivered again from the
   * realm (marked `via: "realm"`).
   */
  syncWorkspace(workspaceId: string): Promise<number> {
    return this.changes.exclusive(workspaceId, async () => {
      let delivered = 0;
      for (;;) {
        const pulled = await this.o.client.workspaces.pull(workspaceId);
        for (const c of pulled.changes) {
          if (this.changes.matches(workspaceId, c)) continue;
          const data = await this.o.client.workspaces.download(workspaceId, c);
          this.changes.record(workspaceId, { ...c, via: "realm" });
          this.emit("workspacechange", { workspaceId, ...c, data, via: "realm" } satisfies LanWorkspaceChange);
          delivered++;
        }
        await this.o.client.workspaces.ack(workspaceId, pulled.upTo);
        this.changes.acked(workspaceId, pulled.upTo);
        if (!pulled.more) return delivered;
      }
    });
  }

  // ---- the direct listener

  private async onDirect(
    peer: DirectPeer,
    command: string,
    args: Uint8Array,
  ): Promise<{ status: StatusWord; data?: PacketData }> {
    if (command === "ping") return { status: "OK" };
    if (command === "imessage") {
      const f = splitFields(args, 2);
      if (!f.ok || f.value.length !== 2 || !/^[A-Za-z0-9_-]{1,64}$/.test(f.value[0]))
        return { status: "BADARGUMENTS", data: "expected an id and a text" };
      const [id, text] = f.value;
      if (hasControlCharacter(text)) return { status: "BADARGUMENTS", data: "control character in the text" };
      if (Buffer.byteLength(text) > MAX_IMESSAGE_BYTES) return { status: "TOOLARGE", data: "text too long" };
      const refused = await this.rates.admit(peer.userId, `${peer.userId.toLowerCase()}\0${peer.computer}\0${id}`);
      if (refused) return refused;
      this.deliverImessage({ id, from: peer.userId, fromComputer: peer.computer, text, via: "direct" });
      return { status: "OK" };
    }
    if (command === "workspacechange") {
      const f = splitWithTrailingData(args, 3, 2);
      if (!f.ok || !/^[0-9]{1,18}$/.test(f.value.fields[1]))
        return { status: "BADARGUMENTS", data: "expected workspace id, seq, size and data" };
      const [workspaceId, seqText] = f.value.fields;
      const data = Buffer.from(f.value.data);
      // Both the sender and this computer must be active members (the realm's list decides).
      const members = await this.members(workspaceId).catch(() => undefined);
      const ok = (s?: Set<string>) => !!s && s.has(peer.userId.toLowerCase()) && s.has(this.o.me.userId.toLowerCase());
      if (!ok(members) && !ok(await this.members(workspaceId, true).catch(() => undefined)))
        return { status: "UNAUTHORIZED", data: "not both active members of that workspace" };
      const change = { seq: BigInt(seqText), size: data.length, author: peer.userId, authorComputer: peer.computer };
      await this.changes.exclusive(workspaceId, async () => {
        if (this.changes.seen(workspaceId, change.seq)) return;
        this.changes.record(workspaceId, { ...change, via: "direct" });
        this.emit("workspacechange", { workspaceId, ...change, data, via: "direct" } satisfies LanWorkspaceChange);
      });
      // The realm's push may have come first and been deferred: it finds this change delivered.
      return { status: "OK" };
    }
    return { status: "UNKNOWNCOMMAND", data: `unknown direct command ${command}` };
  }
}
