// The client side of a packet connection, shared by the SDK (clients) and the realm daemon's
// federation links (realm to management server, realm to realm): connect over TLS or TCP, send
// the greeting, wait for the server's greeting and sync byte, then pipelined requests matched
// to replies by packet id, notifications as events, and a timeout per request. WebSocket
// callers hand in their own send function and feed payloads to onPayload.
import { createHash } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import { EventEmitter } from "node:events";
import { ServerGreetingParser, encodeClientGreeting } from "./greeting.ts";
import { FrameParser, encodeFrame } from "./frame-parser.ts";
import { encodeRequest, decodeServerPacket } from "./packet.ts";
import type { StatusWord } from "./status.ts";
import { asBuffer } from "./node-bytes.ts";

export type ConnectionStatus = StatusWord | "DISCONNECTED" | "TIMEOUT";

/** Why a connection or a request failed without a reply: where it happened, a status and a reason. */
export class ConnectionFailure extends Error {
  constructor(
    readonly status: ConnectionStatus,
    readonly reason: string,
    readonly phase: "connect" | "greeting" | "established",
  ) {
    super(`${status} ${reason}`);
    this.name = "ConnectionFailure";
  }
}

export interface RawReply {
  status: StatusWord;
  data: Buffer;
}

type Pending = { resolve: (r: RawReply) => void; reject: (e: ConnectionFailure) => void; timer: NodeJS.Timeout };

/**
 * Events: "notification" (event: string, data: Buffer, status: StatusWord), "close" (ConnectionFailure).
 */
export class ClientPacketConnection extends EventEmitter {
  private nextId = 1;
  private pending = new Map<string, Pending>();
  closed = false;
  /** SHA-256 of the server's TLS certificate (hex, lower case); undefined without TLS. */
  peerFingerprint?: string;
  /** SHA-256 of the server certificate's public key (SubjectPublicKeyInfo, hex); undefined without TLS. */
  peerKeyFingerprint?: string;
  /** TLS exported keying material (channel binding); empty without TLS or when not asked for. */
  binding: Buffer = Buffer.alloc(0);

  constructor(
    private readonly sendPayload: (payload: Uint8Array) => void,
    private readonly end: () => void,
    private readonly opts: { timeoutMs: number; idPrefix?: string; closeOnTimeout?: boolean },
  ) {
    super();
  }

  onPayload(p: Buffer): void {
    const d = decodeServerPacket(p);
    if (!d.ok) return this.fail(new ConnectionFailure("BADPACKET", d.error.reason, "established"));
    const pkt = d.value;
    if (pkt.kind === "notification") {
      this.emit("notification", pkt.event, pkt.data, pkt.status);
      return;
    }
    const w = this.pending.get(pkt.id);
    if (!w) return;
    this.pending.delete(pkt.id);
    clearTimeout(w.timer);
    w.resolve({ status: pkt.status, data: pkt.data });
  }

  request(command: string, args?: Uint8Array | readonly string[]): Promise<RawReply> {
    if (this.closed) return Promise.reject(new ConnectionFailure("DISCONNECTED", "connection closed", "established"));
    const id = `${this.opts.idPrefix ?? "r"}${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ConnectionFailure("TIMEOUT", `no reply within ${this.opts.timeoutMs} ms`, "established"));
        if (this.opts.closeOnTimeout) this.close();
      }, this.opts.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.sendPayload(encodeRequest(id, command, args));
    });
  }

  fail(e: ConnectionFailure): void {
    if (this.closed) return;
    this.closed = true;
    for (const [, w] of this.pending) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.pending.clear();
    this.emit("close", e);
  }

  close(): void {
    this.end();
    this.fail(new ConnectionFailure("DISCONNECTED", "closed by client", "established"));
  }
}

export interface StreamConnectOptions {
  host: string;
  port: number;
  tls: boolean;
  /** Words after "OpenGroove" in the greeting. */
  words?: readonly string[];
  timeoutMs: number;
  maxPacketBytes: number;
  /** Expected SHA-256 of the server's certificate (hex, colons allowed); checked before the greeting. */
  fingerprint?: string;
  /** Label for TLS exported keying material (channel binding), when the caller needs it. */
  bindingLabel?: string;
  idPrefix?: string;
  /** A request timeout also closes the connection (server links); clients keep it. */
  closeOnTimeout?: boolean;
  /** Source address to connect from (multi-homed hosts; tests acting as several addresses). */
  localAddress?: string;
}

export function openStreamConnection(opts: StreamConnectOptions): Promise<ClientPacketConnection> {
  return new Promise((resolve, reject) => {
    const socket: net.Socket = opts.tls
      ? tls.connect({
          host: opts.host,
          port: opts.port,
          rejectUnauthorized: false,
          minVersion: "TLSv1.2",
          servername: net.isIP(opts.host) ? undefined : opts.host,
          // Passed on to net.connect (Node's TLS typings omit it).
          localAddress: opts.localAddress,
        } as tls.ConnectionOptions)
      : net.connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
    socket.setNoDelay(true);
    const greeting = new ServerGreetingParser();
    const frames = new FrameParser({ maxPacketBytes: opts.maxPacketBytes });
    const conn = new ClientPacketConnection(
      (p) => socket.write(encodeFrame(p, Math.max(p.length, 1))),
      () => socket.end(),
      opts,
    );
    let ready = false;
    const settle = (e: ConnectionFailure) => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    };
    const timer = setTimeout(
      () => settle(new ConnectionFailure("TIMEOUT", `no greeting within ${opts.timeoutMs} ms`, "greeting")),
      opts.timeoutMs,
    );
    socket.once(opts.tls ? "secureConnect" : "connect", () => {
      if (opts.tls) {
        const t = socket as tls.TLSSocket;
        const peerCert = t.getPeerX509Certificate();
        conn.peerFingerprint = peerCert?.fingerprint256.replace(/:/g, "").toLowerCase();
        if (peerCert)
          conn.peerKeyFingerprint = createHash("sha256")
            .update(peerCert.publicKey.export({ type: "spki", format: "der" }))
            .digest("hex");
        const want = opts.fingerprint?.toLowerCase().replace(/:/g, "");
        if (want && conn.peerFingerprint !== want)
          return settle(
            new ConnectionFailure(
              "BADAUTH",
              `the server's certificate fingerprint ${conn.peerFingerprint} does not match the expected ${want}`,
              "connect",
            ),
          );
        if (opts.bindingLabel) conn.binding = t.exportKeyingMaterial(32, opts.bindingLabel, Buffer.alloc(0));
      }
      socket.write(encodeClientGreeting(opts.words ?? []));
    });
    socket.on("data", (chunk: Buffer) => {
      if (ready) {
        const r = frames.push(chunk);
        for (const f of r.frames) conn.onPayload(asBuffer(f));
        if (r.error) conn.fail(new ConnectionFailure(r.error.status, r.error.reason, "established"));
        return;
      }
      for (const ev of greeting.feed(chunk)) {
        if (ev.type === "error") return settle(new ConnectionFailure(ev.error.status, ev.error.reason, "greeting"));
        if (ev.type === "done") {
          ready = true;
          clearTimeout(timer);
          resolve(conn);
          if (ev.leftover.length) socket.emit("data", Buffer.from(ev.leftover));
          return;
        }
      }
    });
    socket.on("error", (e) => {
      if (!ready) return settle(new ConnectionFailure("DISCONNECTED", e.message, "connect"));
      conn.fail(new ConnectionFailure("DISCONNECTED", e.message, "established"));
    });
    socket.on("close", () => {
      if (!ready) return settle(new ConnectionFailure("DISCONNECTED", "closed during the greeting", "greeting"));
      conn.fail(new ConnectionFailure("DISCONNECTED", "connection closed by the server", "established"));
    });
  });
}
