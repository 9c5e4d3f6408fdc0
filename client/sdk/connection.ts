// The typed client SDK's transport layer: connects over TLS (default), plain TCP (loopback
// test setups) or WebSocket, performs the greeting, and matches replies to requests by packet
// id so several requests can be in flight. Notifications go to listeners.
import net from "node:net";
import tls from "node:tls";
import { EventEmitter } from "node:events";
import WebSocket from "ws";
import {
  ServerGreetingParser,
  FrameParser,
  encodeClientGreeting,
  encodeFrame,
  encodeRequest,
  decodeServerPacket,
  decodeErrorNotification,
  type StatusWord,
} from "../../lib/protocol/index.ts";

export interface ConnectOptions {
  host: string;
  port: number;
  /** "tls" (default), "tcp" (plain, loopback only on the server side) or "ws" (URL from host/port/path). */
  transport?: "tls" | "tcp" | "ws";
  /** Realm slug sent after "OpenGroove" (needed when several realms share a port). */
  realm?: string;
  /** Expected SHA-256 fingerprint of the realm's TLS certificate (hex). Without it, any certificate is accepted (trust on first use is the caller's job). */
  fingerprint?: string;
  /** WebSocket path, default /ws/<realm>. */
  wsPath?: string;
  timeoutMs?: number;
  maxPacketBytes?: number;
}

export interface Reply {
  status: StatusWord;
  data: Buffer;
  text: string;
  lines: string[];
}

export class OpenGrooveError extends Error {
  constructor(
    readonly status: StatusWord | "DISCONNECTED" | "TIMEOUT",
    readonly reason: string,
    readonly command?: string,
  ) {
    super(`${command ? `${command}: ` : ""}${status}${reason ? ` ${reason}` : ""}`);
    this.name = "OpenGrooveError";
  }
}

type Pending = { resolve: (r: Reply) => void; reject: (e: Error) => void; command: string; timer: NodeJS.Timeout };

export interface RawConnection extends EventEmitter {
  request(command: string, args?: Buffer | readonly string[]): Promise<Reply>;
  close(): void;
  readonly closed: boolean;
  readonly peerFingerprint?: string;
}

function toReply(status: StatusWord, data: Buffer): Reply {
  // Decoded on first use: binary replies (message and workspace data) are never decoded as
  // text, which for 256 KiB chunks cost more CPU than the rest of the transfer.
  let text: string | undefined;
  let lines: string[] | undefined;
  return {
    status,
    data,
    get text() {
      return (text ??= data.toString("utf8"));
    },
    get lines() {
      const t = this.text;
      return (lines ??= t === "" ? [] : t.split(/\r\n|\r|\n/));
    },
  };
}

class PacketConnection extends EventEmitter implements RawConnection {
  private nextId = 1;
  private pending = new Map<string, Pending>();
  closed = false;
  peerFingerprint?: string;

  constructor(
    private readonly sendPayload: (p: Buffer) => void,
    private readonly end: () => void,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  onPayload(p: Buffer): void {
    const d = decodeServerPacket(p);
    if (!d.ok) return this.fail(new OpenGrooveError("BADPACKET", d.error.reason));
    const pkt = d.value;
    if (pkt.kind === "notification") {
      if (pkt.event === "error") {
        const e = decodeErrorNotification(pkt.data);
        this.emit("servererror", e.ok ? new OpenGrooveError(e.value.status, e.value.reason) : new OpenGrooveError("FAIL", pkt.data.toString()));
      }
      this.emit("notification", pkt.event, toReply("OK", pkt.data));
      this.emit(pkt.event, toReply("OK", pkt.data));
      return;
    }
    const w = this.pending.get(pkt.id);
    if (!w) return;
    this.pending.delete(pkt.id);
    clearTimeout(w.timer);
    w.resolve(toReply(pkt.status, pkt.data));
  }

  request(command: string, args?: Buffer | readonly string[]): Promise<Reply> {
    if (this.closed) return Promise.reject(new OpenGrooveError("DISCONNECTED", "connection closed", command));
    const id = `r${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OpenGrooveError("TIMEOUT", `no reply within ${this.timeoutMs} ms`, command));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, command, timer });
      this.sendPayload(encodeRequest(id, command, args));
    });
  }

  fail(e: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const [, w] of this.pending) {
      clearTimeout(w.timer);
      w.reject(e instanceof OpenGrooveError ? new OpenGrooveError(e.status, e.reason, w.command) : e);
    }
    this.pending.clear();
    this.emit("close", e);
  }

  close(): void {
    this.end();
    this.fail(new OpenGrooveError("DISCONNECTED", "closed by client"));
  }
}

export function openConnection(opts: ConnectOptions): Promise<RawConnection> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const transport = opts.transport ?? "tls";
  if (transport === "ws") return openWs(opts, timeoutMs);
  return new Promise((resolve, reject) => {
    const socket: net.Socket =
      transport === "tls"
        ? tls.connect({ host: opts.host, port: opts.port, rejectUnauthorized: false, servername: net.isIP(opts.host) ? undefined : opts.host })
        : net.connect({ host: opts.host, port: opts.port });
    const greeting = new ServerGreetingParser();
    const frames = new FrameParser({ maxPacketBytes: opts.maxPacketBytes ?? 8 * 1024 * 1024 });
    const conn = new PacketConnection((p) => socket.write(encodeFrame(p, Math.max(p.length, 1))), () => socket.end(), timeoutMs);
    let ready = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new OpenGrooveError("TIMEOUT", `no greeting from ${opts.host}:${opts.port}`));
    }, timeoutMs);
    const start = () => {
      if (transport === "tls") {
        const fp = (socket as tls.TLSSocket).getPeerX509Certificate()?.fingerprint256.replace(/:/g, "").toLowerCase();
        conn.peerFingerprint = fp;
        if (opts.fingerprint && fp !== opts.fingerprint.toLowerCase().replace(/:/g, "")) {
          socket.destroy();
          clearTimeout(timer);
          return reject(new OpenGrooveError("BADAUTH", `the server's certificate fingerprint ${fp} does not match the expected ${opts.fingerprint}`));
        }
      }
      socket.write(encodeClientGreeting(opts.realm ? [opts.realm] : []));
    };
    socket.once(transport === "tls" ? "secureConnect" : "connect", start);
    socket.on("data", (chunk: Buffer) => {
      if (ready) {
        const r = frames.push(chunk);
        for (const f of r.frames) conn.onPayload(f);
        if (r.error) conn.fail(new OpenGrooveError(r.error.status, r.error.reason));
        return;
      }
      for (const ev of greeting.feed(chunk)) {
        if (ev.type === "error") {
          clearTimeout(timer);
          socket.destroy();
          return reject(new OpenGrooveError(ev.error.status, ev.error.reason));
        }
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
      clearTimeout(timer);
      if (!ready) reject(new OpenGrooveError("DISCONNECTED", `cannot connect to ${opts.host}:${opts.port}: ${e.message}`));
      conn.fail(new OpenGrooveError("DISCONNECTED", e.message));
    });
    socket.on("close", () => {
      clearTimeout(timer);
      if (!ready) reject(new OpenGrooveError("DISCONNECTED", `connection to ${opts.host}:${opts.port} closed during the greeting`));
      conn.fail(new OpenGrooveError("DISCONNECTED", "connection closed by the server"));
    });
  });
}

function openWs(opts: ConnectOptions, timeoutMs: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const path = opts.wsPath ?? `/ws/${opts.realm ?? ""}`;
    const ws = new WebSocket(`ws://${opts.host}:${opts.port}${path}`, { handshakeTimeout: timeoutMs });
    const conn = new PacketConnection((p) => ws.send(p, { binary: true }), () => ws.close(), timeoutMs);
    ws.on("open", () => resolve(conn));
    ws.on("message", (d: Buffer) => conn.onPayload(Buffer.isBuffer(d) ? d : Buffer.from(d as ArrayBuffer)));
    ws.on("error", (e) => {
      reject(new OpenGrooveError("DISCONNECTED", e.message));
      conn.fail(new OpenGrooveError("DISCONNECTED", e.message));
    });
    ws.on("close", () => conn.fail(new OpenGrooveError("DISCONNECTED", "connection closed by the server")));
  });
}
