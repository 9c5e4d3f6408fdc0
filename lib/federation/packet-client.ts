// A small packet client for server-to-server links (realm to management server, realm to
// realm): greeting with arbitrary words, pipelined requests matched by packet id, a per-request
// timeout, and the TLS exported keying material used to bind realm proofs to this connection.
import net from "node:net";
import tls from "node:tls";
import { EventEmitter } from "node:events";
import { ServerGreetingParser, FrameParser, encodeClientGreeting, encodeFrame, encodeRequest, decodeServerPacket, type StatusWord } from "../protocol/index.ts";
import { CHANNEL_BINDING_LABEL } from "./signing.ts";

export interface LinkReply {
  status: StatusWord;
  data: Buffer;
  text: string;
  lines: string[];
}

/** A failure to talk to the other side at all (as opposed to a refusal with a status word). */
export class LinkError extends Error {
  constructor(
    readonly status: StatusWord | "DISCONNECTED",
    message: string,
  ) {
    super(message);
    this.name = "LinkError";
  }
}

export interface LinkOptions {
  address: string;
  tls: boolean;
  words: string[];
  timeoutMs: number;
  maxPacketBytes: number;
}

export function splitAddress(address: string): { host: string; port: number } | null {
  const i = address.lastIndexOf(":");
  if (i <= 0) return null;
  const port = Number(address.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return null;
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port };
}

type Pending = { resolve: (r: LinkReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class PacketLink extends EventEmitter {
  private nextId = 1;
  private pending = new Map<string, Pending>();
  closed = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly opts: LinkOptions,
    /** TLS exported keying material; empty on plain TCP. */
    readonly binding: Buffer,
  ) {
    super();
  }

  static open(opts: LinkOptions): Promise<PacketLink> {
    const addr = splitAddress(opts.address);
    if (!addr) return Promise.reject(new LinkError("BADARGUMENTS", `bad address "${opts.address}" (want host:port)`));
    return new Promise((resolve, reject) => {
      const socket: net.Socket = opts.tls
        ? tls.connect({ host: addr.host, port: addr.port, rejectUnauthorized: false, minVersion: "TLSv1.2", servername: net.isIP(addr.host) ? undefined : addr.host })
        : net.connect({ host: addr.host, port: addr.port });
      socket.setNoDelay(true);
      const greeting = new ServerGreetingParser();
      const frames = new FrameParser({ maxPacketBytes: opts.maxPacketBytes });
      let link: PacketLink | undefined;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new LinkError("TIMEOUT", `no greeting from ${opts.address} within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      socket.once(opts.tls ? "secureConnect" : "connect", () => socket.write(encodeClientGreeting(opts.words)));
      socket.on("data", (chunk: Buffer) => {
        if (link) {
          const r = frames.push(chunk);
          for (const f of r.frames) link.onPayload(f);
          if (r.error) link.fail(new LinkError(r.error.status, r.error.reason));
          return;
        }
        for (const ev of greeting.feed(chunk)) {
          if (ev.type === "error") {
            clearTimeout(timer);
            socket.destroy();
            return reject(new LinkError(ev.error.status, `${opts.address} refused the connection: ${ev.error.status} ${ev.error.reason}`));
          }
          if (ev.type === "done") {
            clearTimeout(timer);
            const binding = opts.tls ? (socket as tls.TLSSocket).exportKeyingMaterial(32, CHANNEL_BINDING_LABEL, Buffer.alloc(0)) : Buffer.alloc(0);
            link = new PacketLink(socket, opts, binding);
            resolve(link);
            if (ev.leftover.length) socket.emit("data", Buffer.from(ev.leftover));
            return;
          }
        }
      });
      socket.on("error", (e) => {
        clearTimeout(timer);
        if (!link) reject(new LinkError("DISCONNECTED", `cannot connect to ${opts.address}: ${e.message}`));
        link?.fail(new LinkError("DISCONNECTED", e.message));
      });
      socket.on("close", () => {
        clearTimeout(timer);
        if (!link) reject(new LinkError("DISCONNECTED", `${opts.address} closed the connection during the greeting`));
        link?.fail(new LinkError("DISCONNECTED", `${opts.address} closed the connection`));
      });
    });
  }

  private onPayload(p: Buffer): void {
    const d = decodeServerPacket(p);
    if (!d.ok) return this.fail(new LinkError("BADPACKET", d.error.reason));
    const pkt = d.value;
    if (pkt.kind === "notification") {
      this.emit("notification", pkt.event, pkt.data.toString("utf8"));
      return;
    }
    const w = this.pending.get(pkt.id);
    if (!w) return;
    this.pending.delete(pkt.id);
    clearTimeout(w.timer);
    const text = pkt.data.toString("utf8");
    w.resolve({ status: pkt.status, data: pkt.data, text, lines: text === "" ? [] : text.split(/\r\n|\r|\n/) });
  }

  request(command: string, args?: Buffer | readonly string[]): Promise<LinkReply> {
    if (this.closed) return Promise.reject(new LinkError("DISCONNECTED", "link closed"));
    const id = `f${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LinkError("TIMEOUT", `${command}: no reply from ${this.opts.address} within ${this.opts.timeoutMs} ms`));
        this.close();
      }, this.opts.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(encodeFrame(encodeRequest(id, command, args), this.opts.maxPacketBytes * 2));
    });
  }

  private fail(e: LinkError): void {
    if (this.closed) return;
    this.closed = true;
    for (const [, w] of this.pending) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.pending.clear();
    this.socket.destroy();
    this.emit("close", e);
  }

  close(): void {
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.fail(new LinkError("DISCONNECTED", "closed"));
  }
}
