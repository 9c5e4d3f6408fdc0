// LAN discovery on 63749/UDP multicast (docs/clients.md §5): announces this computer's signed
// presence at a bounded rate and keeps the computers it hears whose announcement verifies and
// whose keys are the ones the realm publishes for them. Everything else is dropped and counted.
import dgram from "node:dgram";
import { EventEmitter } from "node:events";
import os from "node:os";
import type { ComputerKeys, PublicComputerKeys } from "../crypto/keys-core.ts";
import {
  LAN_DISCOVERY_PORT,
  LAN_MULTICAST_GROUP,
  MAX_ANNOUNCE_BYTES,
  ReplayGuard,
  encodeAnnouncement,
  parseAnnouncement,
} from "./announce.ts";
import { KeyedLimiter, TokenBucket } from "./rate-limit.ts";
import type { PeerKeyCache } from "./peer-keys.ts";

export interface DiscoveryOptions {
  me: { userId: string; computer: string };
  keys: ComputerKeys;
  /** Checks announced keys against what the realm publishes. */
  peerKeys: PeerKeyCache;
  /** The port of this computer's direct-link listener (announced). */
  directPort: number;
  group?: string;
  port?: number;
  /** IPv4 address of the interface to send and join on (default: the system's choice). */
  interfaceAddress?: string;
  /** Addresses announced for the direct link (default: the interface address, else every non-internal IPv4). */
  addresses?: string[];
  /** Regular announcements (default 5 s); never more than one per `minGapMs` (default 1 s). */
  intervalMs?: number;
  minGapMs?: number;
  /** Clock difference accepted (default 30 s). */
  maxSkewMs?: number;
  /** A peer not heard for this long is forgotten (default 4 intervals). */
  peerTtlMs?: number;
  /** Announcements processed per source address (default 5/s, burst 10) and in all (50/s, burst 100). */
  perSourceRate?: number;
  totalRate?: number;
  /** Only listen (the CLI's `peers`): announce nothing. */
  listenOnly?: boolean;
}

export interface LanPeer {
  userId: string;
  computer: string;
  /** Where its announcement came from (tried first for the direct link). */
  address: string;
  addresses: string[];
  port: number;
  keys: PublicComputerKeys;
  fingerprint: string;
  lastSeen: number;
}

export type RejectReason = "ratelimited" | "malformed" | "badsignature" | "stale" | "replay" | "nokey" | "keymismatch";

function localAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((i): i is os.NetworkInterfaceInfo => !!i && i.family === "IPv4" && !i.internal)
    .map((i) => i.address);
}

/** Events: "peer" (LanPeer: new, moved or with new keys), "rejected" ({ reason, from, detail }). */
export class LanDiscovery extends EventEmitter {
  private socket?: dgram.Socket;
  private timer?: NodeJS.Timeout;
  private soon?: NodeJS.Timeout;
  private lastSent = 0;
  private readonly peerMap = new Map<string, LanPeer>();
  private readonly replay: ReplayGuard;
  private readonly perSource: KeyedLimiter;
  private readonly total: TokenBucket;
  /** Realm lookups started by announcements (2/s, burst 10): self-signed claims of made-up computers cannot flood the realm. */
  private readonly lookups = new TokenBucket(2, 10);
  readonly rejected: Record<RejectReason, number> = {
    ratelimited: 0,
    malformed: 0,
    badsignature: 0,
    stale: 0,
    replay: 0,
    nokey: 0,
    keymismatch: 0,
  };
  sent = 0;

  constructor(private readonly opts: DiscoveryOptions) {
    super();
    this.replay = new ReplayGuard(opts.maxSkewMs ?? 30_000);
    this.perSource = new KeyedLimiter(opts.perSourceRate ?? 5, (opts.perSourceRate ?? 5) * 2);
    this.total = new TokenBucket(opts.totalRate ?? 50, (opts.totalRate ?? 50) * 2);
  }

  /** The direct-link port to announce (known once the listener is bound). */
  setDirectPort(port: number): void {
    this.opts.directPort = port;
  }

  get group(): string {
    return this.opts.group ?? LAN_MULTICAST_GROUP;
  }

  get port(): number {
    return this.opts.port ?? LAN_DISCOVERY_PORT;
  }

  /** Verified computers heard within the peer TTL. */
  peers(now = Date.now()): LanPeer[] {
    const ttl = this.opts.peerTtlMs ?? 4 * (this.opts.intervalMs ?? 5_000);
    return [...this.peerMap.values()].filter((p) => now - p.lastSeen <= ttl);
  }

  peer(userId: string, computer: string): LanPeer | undefined {
    return this.peers().find((p) => p.userId.toLowerCase() === userId.toLowerCase() && p.computer === computer);
  }

  async start(): Promise<void> {
    const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
    this.socket = s;
    s.on("message", (msg, rinfo) => void this.handle(msg, rinfo.address));
    s.on("error", (e) => this.emit("socketerror", e));
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.bind({ port: this.port, exclusive: false }, () => {
        s.off("error", reject);
        resolve();
      });
    });
    s.addMembership(this.group, this.opts.interfaceAddress);
    s.setMulticastTTL(1);
    // Several clients on one host (tests, a CLI `peers` beside a running app) hear each other.
    s.setMulticastLoopback(true);
    if (this.opts.interfaceAddress) s.setMulticastInterface(this.opts.interfaceAddress);
    if (this.opts.listenOnly) return;
    this.announceSoon();
    this.timer = setInterval(() => this.announceSoon(), this.opts.intervalMs ?? 5_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.soon);
    this.soon = undefined;
    this.socket?.close();
    this.socket = undefined;
  }

  /** Announces now, or as soon as the minimum gap since the last one allows (coalesced). */
  announceSoon(): void {
    if (this.opts.listenOnly || !this.socket || this.soon) return;
    const wait = Math.max(0, this.lastSent + (this.opts.minGapMs ?? 1_000) - Date.now());
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.sendAnnouncement();
    }, wait);
    this.soon.unref();
  }

  private sendAnnouncement(): void {
    const s = this.socket;
    if (!s) return;
    this.lastSent = Date.now();
    const addresses =
      this.opts.addresses ?? (this.opts.interfaceAddress ? [this.opts.interfaceAddress] : localAddresses());
    const datagram = encodeAnnouncement(
      { userId: this.opts.me.userId, computer: this.opts.me.computer, addresses, port: this.opts.directPort },
      this.opts.keys,
    );
    this.sent++;
    s.send(datagram, this.port, this.group, (e) => {
      if (e) this.emit("socketerror", e);
    });
  }

  /** Sends raw bytes to the group (tests: forged announcements). */
  sendRaw(datagram: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket ? this.socket.send(datagram, this.port, this.group, (e) => (e ? reject(e) : resolve())) : resolve(),
    );
  }

  private reject(reason: RejectReason, from: string, detail = ""): void {
    this.rejected[reason]++;
    this.emit("rejected", { reason, from, detail });
  }

  /** Processes one datagram received from `from` (the socket calls this; so can a test). */
  async handle(msg: Uint8Array, from: string): Promise<void> {
    // Cheap checks first: the rate limits, then the format and the signature, then the realm.
    if (!this.total.take() || !this.perSource.take(from)) return this.reject("ratelimited", from);
    if (msg.length > MAX_ANNOUNCE_BYTES) return this.reject("malformed", from, "too large");
    const parsed = parseAnnouncement(msg);
    if (!parsed.ok) return this.reject(parsed.reason, from, parsed.detail);
    const a = parsed.value;
    const me = this.opts.me;
    if (a.userId.toLowerCase() === me.userId.toLowerCase() && a.computer === me.computer) return;
    const stale = this.replay.check(a);
    if (stale) return this.reject(stale, from);
    if (!this.opts.peerKeys.cached(a.userId, a.computer) && !this.lookups.take())
      return this.reject("ratelimited", from, "realm lookups");
    const published = await this.opts.peerKeys.get(a.userId, a.computer);
    if (!published) return this.reject("nokey", from, `${a.userId} ${a.computer}`);
    if (!(await this.opts.peerKeys.matches(a.userId, a.computer, a.keys)))
      return this.reject("keymismatch", from, `${a.userId} ${a.computer}`);
    const key = `${a.userId.toLowerCase()}\0${a.computer}`;
    const before = this.peerMap.get(key);
    const peer: LanPeer = {
      userId: a.userId,
      computer: a.computer,
      address: from,
      addresses: a.addresses,
      port: a.port,
      keys: a.keys,
      fingerprint: a.fingerprint,
      lastSeen: Date.now(),
    };
    this.peerMap.set(key, peer);
    const fresh =
      !before || Date.now() - before.lastSeen > (this.opts.peerTtlMs ?? 4 * (this.opts.intervalMs ?? 5_000));
    if (fresh || before.address !== from || before.port !== a.port || before.fingerprint !== a.fingerprint) {
      this.emit("peer", peer);
      // A newcomer hears us at once instead of after a whole interval.
      if (fresh) this.announceSoon();
    }
  }
}
