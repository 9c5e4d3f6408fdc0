// The typed client SDK's transport layer over the shared client connection
// (lib/protocol/client-connection.ts): TLS (default), plain TCP (loopback test setups) or
// WebSocket; several requests may be in flight. Notifications go to listeners.
import { EventEmitter } from "node:events";
import type { TLSSocket } from "node:tls";
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
  /**
   * "tls" (default), "tcp" (plain, loopback only on the server side), "wss" (WebSocket over TLS
   * on the daemon's HTTP port) or "ws" (plain WebSocket: the SDK refuses to send a password over
   * it except to a loopback host). The WebSocket URL comes from host/port/path.
   */
  transport?: "tls" | "tcp" | "ws" | "wss";
  /** Realm slug sent after "OpenGroove" (needed when several realms share a port). */
  realm?: string;
  /** Expected SHA-256 fingerprint of the realm's TLS certificate (hex). Without it, any certificate is accepted (trust on first use is the caller's job). */
  fingerprint?: string;
  /** TLS server name (SNI) for "wss": picks the realm's certificate when connecting by address. Default: host, unless it is an address. */
  servername?: string;
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
  if (transport === "ws" || transport === "wss") return openWs(opts, timeoutMs, transport);
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

/** Commands whose arguments carry a password (never sent over unencrypted ws:// to another machine). */
const PASSWORD_COMMANDS = new Set(["authenticate", "setpassword", "registeraccount", "deleteaccount"]);

const isLoopbackHost = (host: string) =>
  /^(localhost|::1|\[::1\]|127\.\d+\.\d+\.\d+)$/i.test(host) || /^::ffff:127\.\d+\.\d+\.\d+$/i.test(host);

/** A WebSocket connection over plain ws:// to another machine: requests carrying a password are refused here. */
class PlainWsConnection extends SdkConnection {
  constructor(
    core: ClientPacketConnection,
    private readonly where: string,
  ) {
    super(core);
  }

  override request(command: string, args?: Uint8Array | readonly string[]): Promise<Reply> {
    if (PASSWORD_COMMANDS.has(command))
      return Promise.reject(
        new OpenGrooveError(
          "NOTALLOWED",
          `not sending a password over unencrypted ws://${this.where} (readable by anyone on the path): connect with transport "wss" or "tls"`,
          command,
        ),
      );
    return super.request(command, args);
  }
}

/** WebSocket close codes (RFC 6455 §7.4.1) the server's WebSocket layer sends for a bad packet. */
const WS_CLOSE_STATUS: Record<number, { status: StatusWord; reason: string }> = {
  1002: { status: "BADPACKET", reason: "the server refused a malformed WebSocket frame (close code 1002)" },
  1007: { status: "BADPACKET", reason: "the server refused a message that is not valid UTF-8 (close code 1007)" },
  1009: { status: "TOOLARGE", reason: "a packet exceeds the server's maxPacketBytes (close code 1009)" },
};

function openWs(opts: ConnectOptions, timeoutMs: number, transport: "ws" | "wss"): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const path = opts.wsPath ?? `/ws/${opts.realm ?? ""}`;
    const host = opts.host.includes(":") && !opts.host.startsWith("[") ? `[${opts.host}]` : opts.host;
    const want = opts.fingerprint?.toLowerCase().replace(/:/g, "");
    // Like the TLS transport: any certificate unless a fingerprint is given (realm certificates
    // are self-signed; trust on first use is the caller's job), checked before anything is sent.
    const ws = new WebSocket(`${transport}://${host}:${opts.port}${path}`, {
      handshakeTimeout: timeoutMs,
      rejectUnauthorized: false,
      ...(opts.servername ? { servername: opts.servername } : {}),
    });
    let peerFingerprint: string | undefined;
    const core = new ClientPacketConnection(
      (p) => ws.send(p, { binary: true }),
      () => ws.close(),
      { timeoutMs },
    );
    ws.on("upgrade", (res) => {
      const cert = (res.socket as Partial<TLSSocket>).getPeerCertificate?.();
      peerFingerprint = cert?.fingerprint256?.replace(/:/g, "").toLowerCase();
    });
    ws.on("open", () => {
      if (transport === "wss" && want && peerFingerprint !== want) {
        ws.terminate();
        return reject(
          new OpenGrooveError(
            "BADAUTH",
            `the server's certificate fingerprint ${peerFingerprint ?? "(none)"} does not match the expected ${want}`,
          ),
        );
      }
      core.peerFingerprint = peerFingerprint;
      const c =
        transport === "ws" && !isLoopbackHost(opts.host)
          ? new PlainWsConnection(core, `${host}:${opts.port}`)
          : new SdkConnection(core);
      resolve(c);
    });
    ws.on("message", (d: Buffer) => core.onPayload(Buffer.isBuffer(d) ? d : Buffer.from(d as ArrayBuffer)));
    ws.on("error", (e) => {
      reject(new OpenGrooveError("DISCONNECTED", e.message));
      core.fail(new ConnectionFailure("DISCONNECTED", e.message, "established"));
    });
    ws.on("close", (code: number, reason: Buffer) => {
      // The server's WebSocket layer refuses some packets itself, with a close code instead of
      // an error push: say which, as the stream transports' status words do.
      const why = WS_CLOSE_STATUS[code];
      core.fail(
        why
          ? new ConnectionFailure(why.status, reason.length ? reason.toString("utf8") : why.reason, "established")
          : new ConnectionFailure("DISCONNECTED", "connection closed by the server", "established"),
      );
    });
  });
}
