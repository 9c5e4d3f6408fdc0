// The typed client SDK's transport layer over the shared client connection
// (lib/protocol/client-connection.ts): TLS (default), plain TCP (loopback test setups) or
// WebSocket; several requests may be in flight. Notifications go to listeners.
import { EventEmitter } from "node:events";
import WebSocket from "ws";
import { decodeErrorNotification, textLines, type StatusWord } from "../../lib/protocol/index.ts";
import {
  ClientPacketConnection,
  ConnectionFailure,
  openStreamConnection,
} from "../../lib/protocol/client-connection.ts";

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
  /** Source address of a TLS/TCP connection (multi-homed hosts). */
  localAddress?: string;
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

  /**
   * True when the server did not run the request and the same request may simply be sent again
   * after a short wait (BUSY: too many requests in flight, or the realm's database unreachable
   * for a moment). RATELIMITED is not: its window is minutes long.
   */
  get retryable(): boolean {
    return this.status === "BUSY";
  }
}

/**
 * What a command group (workspaces.ts) needs from a client: RealmClient provides it. Declared
 * here so the groups depend on the connection layer, not on client.ts (which imports them).
 */
export interface CommandCaller {
  /** The reply, whatever its status. */
  request(command: string, args?: Uint8Array | readonly string[]): Promise<Reply>;
  /** The reply; throws OpenGrooveError unless the status is OK. */
  call(command: string, args?: Uint8Array | readonly string[]): Promise<Reply>;
  /** Notifications by event name. */
  on(event: string, fn: (r: Reply) => void): unknown;
}

export interface RawConnection extends EventEmitter {
  request(command: string, args?: Uint8Array | readonly string[]): Promise<Reply>;
  close(): void;
  readonly closed: boolean;
  readonly peerFingerprint?: string;
  /** SHA-256 of the server certificate's public key (what management pins name). */
  readonly peerKeyFingerprint?: string;
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
      return (lines ??= textLines(t));
    },
  };
}

/** Adapts the shared packet connection to the SDK: typed replies, OpenGrooveError, one event per notification. */
class SdkConnection extends EventEmitter implements RawConnection {
  constructor(private readonly core: ClientPacketConnection) {
    super();
    core.on("notification", (event: string, data: Buffer, status: StatusWord = "OK") => {
      if (event === "error") {
        const e = decodeErrorNotification(data, status);
        this.emit(
          "servererror",
          e.ok ? new OpenGrooveError(e.value.status, e.value.reason) : new OpenGrooveError("FAIL", data.toString()),
        );
      }
      const r = toReply(status, data);
      this.emit("notification", event, r);
      // Not as "error": an EventEmitter throws an "error" event nobody listens to, and a
      // server's error push (idle timeout, bad packet) is reported as "servererror" above.
      if (event !== "error") this.emit(event, r);
    });
    core.on("close", (e: ConnectionFailure) => {
      const err = new OpenGrooveError(e.status, e.reason);
      this.emit("close", err);
      // "lost": the connection ended without this side closing it.
      if (!this.closing) this.emit("lost", err);
    });
  }

  private closing = false;

  get closed(): boolean {
    return this.core.closed;
  }

  get peerFingerprint(): string | undefined {
    return this.core.peerFingerprint;
  }

  get peerKeyFingerprint(): string | undefined {
    return this.core.peerKeyFingerprint;
  }

  async request(command: string, args?: Uint8Array | readonly string[]): Promise<Reply> {
    try {
      const r = await this.core.request(command, args);
      return toReply(r.status, r.data);
    } catch (e) {
      throw e instanceof ConnectionFailure ? new OpenGrooveError(e.status, e.reason, command) : e;
    }
  }

  close(): void {
    this.closing = true;
    this.core.close();
  }
}

export async function openConnection(opts: ConnectOptions): Promise<RawConnection> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const transport = opts.transport ?? "tls";
  if (transport === "ws") return openWs(opts, timeoutMs);
  try {
    const core = await openStreamConnection({
      host: opts.host,
      port: opts.port,
      tls: transport === "tls",
      words: opts.realm ? [opts.realm] : [],
      timeoutMs,
      maxPacketBytes: opts.maxPacketBytes ?? 8 * 1024 * 1024,
      fingerprint: opts.fingerprint,
      localAddress: opts.localAddress,
    });
    return new SdkConnection(core);
  } catch (e) {
    if (!(e instanceof ConnectionFailure)) throw e;
    const where = `${opts.host}:${opts.port}`;
    if (e.phase === "connect" && e.status === "DISCONNECTED")
      throw new OpenGrooveError("DISCONNECTED", `cannot connect to ${where}: ${e.reason}`);
    if (e.status === "DISCONNECTED")
      throw new OpenGrooveError("DISCONNECTED", `connection to ${where} closed during the greeting`);
    if (e.status === "TIMEOUT") throw new OpenGrooveError("TIMEOUT", `no greeting from ${where}`);
    throw new OpenGrooveError(e.status, e.reason);
  }
}

function openWs(opts: ConnectOptions, timeoutMs: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const path = opts.wsPath ?? `/ws/${opts.realm ?? ""}`;
    const ws = new WebSocket(`ws://${opts.host}:${opts.port}${path}`, { handshakeTimeout: timeoutMs });
    const core = new ClientPacketConnection(
      (p) => ws.send(p, { binary: true }),
      () => ws.close(),
      { timeoutMs },
    );
    ws.on("open", () => resolve(new SdkConnection(core)));
    ws.on("message", (d: Buffer) => core.onPayload(Buffer.isBuffer(d) ? d : Buffer.from(d as ArrayBuffer)));
    ws.on("error", (e) => {
      reject(new OpenGrooveError("DISCONNECTED", e.message));
      core.fail(new ConnectionFailure("DISCONNECTED", e.message, "established"));
    });
    ws.on("close", () =>
      core.fail(new ConnectionFailure("DISCONNECTED", "connection closed by the server", "established")),
    );
  });
}
