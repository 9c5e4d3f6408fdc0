// The one connection engine behind every listener (realm clients over TLS/TCP and WebSocket,
// realm-to-realm, both management ports). Given a state type, a command table and a context
// factory it runs a connection: decode each packet, answer BUSY past the in-flight limit, run
// requests one at a time in arrival order (clients may pipeline), check the state table, map
// errors to status words, reply, and close on idle or on an unfinished handshake. What differs
// per listener is only the table, the context and the wording of refusals.
import crypto from "node:crypto";
import type { Logger } from "pino";
import { DomainError } from "../domain/errors.ts";
import { DATABASE_UNAVAILABLE_TEXT, isDatabaseUnavailable } from "../db/unavailable.ts";
import { ProtocolError } from "./errors.ts";
import { decodeRequest, encodeErrorNotification, encodeReply, type PacketData } from "./packet.ts";
import type { StatusWord } from "./status.ts";

export interface CommandResult {
  status: StatusWord;
  data?: PacketData;
  /** Close the connection after sending this reply. */
  close?: boolean;
}

/** One entry of a dispatch table: a handler and the connection states it is allowed in. */
export interface SessionCommand<S, C> {
  name: string;
  states: readonly S[];
  handle(ctx: C, args: Buffer): Promise<CommandResult>;
}

/** Where packets go out; false from send means the peer is not reading (buffer over the bound). */
export interface SessionTransport {
  readonly remoteAddress: string;
  send(payload: Uint8Array): boolean;
  close(): void;
}

/** Metrics hooks; every one optional. `command` is "unknown" for names not in the table. */
export interface SessionHooks {
  bytesIn?(n: number): void;
  bytesOut?(n: number): void;
  handled?(command: string, status: StatusWord, seconds: number): void;
  internalError?(command: string): void;
  /** A command answered BUSY because the database could not be reached. */
  databaseUnavailable?(command: string): void;
}

export interface SessionOptions<S, C> {
  transport: SessionTransport;
  /** The listener's logger; the session logs through a child carrying `conn` and `logFields`. */
  log: Logger;
  logFields?: Record<string, unknown>;
  state: S;
  /** The state a closed session is left in (when the state type has one). */
  closingState?: S;
  commands: ReadonlyMap<string, SessionCommand<S, C>>;
  /** Requests queued behind the running one before further ones are answered BUSY. */
  maxInFlight: number;
  idleTimeoutMs: number;
  /** The peer must call `handshakeDone()` within this time or is closed with TIMEOUT. */
  handshake?: { timeoutMs: number; what: string };
  words: {
    unknown(command: string): string;
    notAllowed(state: S, command: string): string;
    /** Where the operator finds an internal error ("the realm daemon's log"). */
    logName: string;
  };
  hooks?: SessionHooks;
}

// PostgreSQL "data exception" errors (class 22: invalid text, out of range, NUL bytes, too long)
// come from values a peer sent: they are bad arguments, not internal errors.
function isDataException(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.length === 5 && code.startsWith("22");
}

/**
 * A listener's connection class extends this and supplies `context()` (what a handler sees for
 * one request: never the daemon or the connection itself), and optionally `guard()` and
 * `onClosed()`.
 */
export abstract class ProtocolSession<S, C> {
  readonly id = crypto.randomUUID();
  readonly log: Logger;
  readonly connectedAt = Date.now();
  state: S;
  private queue: Array<{ id: string; command: string; args: Buffer }> = [];
  private running = false;
  private closed = false;
  /** Set by closeWhenIdle: new requests are refused, the ones received are finished. */
  private draining = false;
  private idleWaiters: Array<() => void> = [];
  private closeWaiters: Array<() => void> = [];
  private idleTimer?: NodeJS.Timeout;
  private handshakeTimer?: NodeJS.Timeout;

  /** Builds the handler context for one request. */
  protected abstract context(): C;

  /** Runs before every allowed command; a result refuses it (e.g. a revoked realm). */
  protected guard(_command: string): Promise<CommandResult | null> {
    return Promise.resolve(null);
  }

  /** Called once when the session closes (the listener's bookkeeping). */
  protected onClosed(_reason: string): void {}

  constructor(private readonly opts: SessionOptions<S, C>) {
    this.state = opts.state;
    this.log = opts.log.child({ conn: this.id, remote: opts.transport.remoteAddress, ...opts.logFields });
    if (opts.handshake) {
      const { timeoutMs, what } = opts.handshake;
      this.handshakeTimer = setTimeout(
        () => this.fail(new ProtocolError("TIMEOUT", `${what} not completed within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.handshakeTimer.unref();
    }
    this.touch();
  }

  /** The peer's address without the port (rate-limit buckets, audit). */
  get remoteIp(): string {
    return this.opts.transport.remoteAddress.replace(/:\d+$/, "");
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The handshake finished: its timer stops. */
  handshakeDone(): void {
    clearTimeout(this.handshakeTimer);
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    const ms = this.opts.idleTimeoutMs;
    this.idleTimer = setTimeout(() => this.fail(new ProtocolError("TIMEOUT", `no packet for ${ms / 1000} s`)), ms);
    this.idleTimer.unref();
  }

  /** One packet payload from the transport. */
  onPacket(payload: Buffer): void {
    if (this.closed) return;
    this.touch();
    this.opts.hooks?.bytesIn?.(payload.length);
    const req = decodeRequest(payload);
    if (!req.ok) return this.fail(req.error);
    const { id, command } = req.value;
    if (this.draining) {
      this.reply(id, command, { status: "BUSY", data: "the server is shutting down; reconnect" });
      return;
    }
    if (this.queue.length >= this.opts.maxInFlight) {
      this.reply(id, command, {
        status: "BUSY",
        data: `too many requests in flight (limit ${this.opts.maxInFlight}); wait for replies`,
      });
      return;
    }
    this.queue.push(req.value);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length && !this.closed) {
      const req = this.queue.shift()!;
      const started = performance.now();
      const result = await this.execute(req.command, req.args);
      const name = this.opts.commands.has(req.command) ? req.command : "unknown";
      this.opts.hooks?.handled?.(name, result.status, (performance.now() - started) / 1000);
      if (this.closed) break;
      this.reply(req.id, req.command, result);
      if (result.close) this.close("refused");
    }
    this.running = false;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /**
   * Graceful close (daemon drain): refuses new requests with BUSY, finishes and answers the
   * ones already received, then closes. The caller bounds the wait (shutdown grace).
   */
  async closeWhenIdle(reason: string, opts: { waitForPeer?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.draining = true;
    if (this.running) await new Promise<void>((r) => this.idleWaiters.push(r));
    // A peer told to move (switchserver) closes this side itself once its last reply is in; a
    // request it sent before reading the push then still gets an answer (BUSY) instead of a
    // closed socket. The caller bounds the wait (shutdown grace).
    if (opts.waitForPeer && !this.closed) await new Promise<void>((r) => this.closeWaiters.push(r));
    this.close(reason);
  }

  /** Resolves once no request of this connection is running (also after close: the one cut off). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private async execute(command: string, args: Buffer): Promise<CommandResult> {
    const spec = this.opts.commands.get(command);
    if (!spec) return { status: "UNKNOWNCOMMAND", data: this.opts.words.unknown(command) };
    if (!spec.states.includes(this.state))
      return { status: "NOTALLOWED", data: this.opts.words.notAllowed(this.state, command) };
    try {
      return (await this.guard(command)) ?? (await spec.handle(this.context(), args));
    } catch (e) {
      if (e instanceof DomainError) return { status: e.code, data: e.message };
      if (e instanceof ProtocolError) return { status: e.status, data: e.reason };
      // PostgreSQL down or restarting: the request did not complete; the peer may retry.
      if (isDatabaseUnavailable(e)) {
        this.opts.hooks?.databaseUnavailable?.(command);
        this.log.warn({ err: e instanceof Error ? e.message : String(e), command }, "database unavailable");
        return { status: "BUSY", data: DATABASE_UNAVAILABLE_TEXT };
      }
      if (isDataException(e)) {
        this.log.warn({ err: e, command }, "argument refused by the database");
        return { status: "BADARGUMENTS", data: `${command}: an argument is not a valid value` };
      }
      // Cut off by a shutdown (the connection closed while the command ran): the stop, not a
      // fault; nobody reads the answer, but it is a clean one.
      if (this.closed) {
        this.log.info({ err: e, command }, "command cut off by the connection's close");
        return { status: "BUSY", data: "the server is shutting down; reconnect" };
      }
      this.opts.hooks?.internalError?.(command);
      this.log.error({ err: e, command }, "command failed");
      return {
        status: "INTERNALERROR",
        data: `internal error; the operator can find it in ${this.opts.words.logName}`,
      };
    }
  }

  reply(id: string, command: string, result: CommandResult): void {
    this.send(encodeReply(id, command, result.status, result.data));
  }

  /** Sends a packet (a reply, a notification); a peer that is not reading is disconnected. */
  send(payload: Uint8Array): void {
    if (this.closed) return;
    this.opts.hooks?.bytesOut?.(payload.length);
    if (!this.opts.transport.send(payload)) {
      this.log.warn("peer is not reading; closing");
      this.close("slow consumer");
    }
  }

  /** Reports a protocol error to the peer and closes. */
  fail(error: ProtocolError): void {
    if (this.closed) return;
    this.log.info({ status: error.status, reason: error.reason }, "protocol error");
    this.send(encodeErrorNotification(error));
    this.close(error.reason);
  }

  close(reason = "closed"): void {
    if (this.closed) return;
    this.closed = true;
    if (this.opts.closingState !== undefined) this.state = this.opts.closingState;
    clearTimeout(this.idleTimer);
    clearTimeout(this.handshakeTimer);
    this.queue = [];
    for (const wake of this.closeWaiters.splice(0)) wake();
    this.onClosed(reason);
    this.log.debug({ reason }, "connection closed");
    this.opts.transport.close();
  }
}
