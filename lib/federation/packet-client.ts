// Server-to-server links (realm to management server, realm to realm) over the shared client
// connection (lib/protocol/client-connection.ts): greeting words, pipelined requests, a timeout
// per request that also closes the link, and the TLS exported keying material that binds realm
// proofs to this connection.
import { EventEmitter } from "node:events";
import { textLines, type StatusWord } from "../protocol/index.ts";
import { ClientPacketConnection, ConnectionFailure, openStreamConnection } from "../protocol/client-connection.ts";
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

/** A server-to-server link over the shared client connection; failures become LinkError. */
export class PacketLink extends EventEmitter {
  private constructor(
    private readonly core: ClientPacketConnection,
    private readonly opts: LinkOptions,
  ) {
    super();
    core.on("notification", (event: string, data: Buffer) => this.emit("notification", event, data.toString("utf8")));
    core.on("close", (e: ConnectionFailure) =>
      this.emit("close", new LinkError(e.status, `${opts.address}: ${e.reason}`)),
    );
  }

  get closed(): boolean {
    return this.core.closed;
  }

  /** SHA-256 of the server certificate's public key; undefined on plain TCP. */
  get peerKeyFingerprint(): string | undefined {
    return this.core.peerKeyFingerprint;
  }

  /** TLS exported keying material; empty on plain TCP. */
  get binding(): Buffer {
    return this.core.binding;
  }

  static async open(opts: LinkOptions): Promise<PacketLink> {
    const addr = splitAddress(opts.address);
    if (!addr) throw new LinkError("BADARGUMENTS", `bad address "${opts.address}" (want host:port)`);
    try {
      const core = await openStreamConnection({
        host: addr.host,
        port: addr.port,
        tls: opts.tls,
        words: opts.words,
        timeoutMs: opts.timeoutMs,
        maxPacketBytes: opts.maxPacketBytes,
        bindingLabel: opts.tls ? CHANNEL_BINDING_LABEL : undefined,
        idPrefix: "f",
        closeOnTimeout: true,
      });
      return new PacketLink(core, opts);
    } catch (e) {
      if (!(e instanceof ConnectionFailure)) throw e;
      if (e.phase === "connect") throw new LinkError("DISCONNECTED", `cannot connect to ${opts.address}: ${e.reason}`);
      if (e.status === "TIMEOUT")
        throw new LinkError("TIMEOUT", `no greeting from ${opts.address} within ${opts.timeoutMs} ms`);
      if (e.status === "DISCONNECTED")
        throw new LinkError("DISCONNECTED", `${opts.address} closed the connection during the greeting`);
      throw new LinkError(e.status, `${opts.address} refused the connection: ${e.status} ${e.reason}`);
    }
  }

  async request(command: string, args?: Uint8Array | readonly string[]): Promise<LinkReply> {
    try {
      const r = await this.core.request(command, args);
      const text = r.data.toString("utf8");
      return { status: r.status, data: r.data, text, lines: textLines(text) };
    } catch (e) {
      if (!(e instanceof ConnectionFailure)) throw e;
      throw new LinkError(
        e.status,
        e.status === "TIMEOUT"
          ? `${command}: no reply from ${this.opts.address} within ${this.opts.timeoutMs} ms`
          : `${command}: ${e.reason}`,
      );
    }
  }

  close(): void {
    this.core.close();
  }
}
