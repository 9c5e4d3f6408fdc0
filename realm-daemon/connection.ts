// One client connection, independent of the transport (TLS/TCP stream or WebSocket): decodes
// requests, runs them one at a time in arrival order (clients may pipeline), enforces the
// state table, and pushes notifications.
import crypto from "node:crypto";
import type { Logger } from "pino";
import {
  decodeRequest,
  encodeReply,
  encodeNotification,
  encodeErrorNotification,
  ProtocolError,
  type NotificationEvent,
  type PacketData,
  type StatusWord,
} from "../lib/protocol/index.ts";
import { DomainError } from "../lib/domain/errors.ts";
import { ConnectionState, type RealmInfo, type Session } from "./state.ts";
import { COMMANDS } from "./commands/index.ts";
import type { RealmDaemon } from "./daemon.ts";

export interface Transport {
  readonly kind: "tls" | "tcp" | "ws";
  readonly remoteAddress: string;
  /** Sends one packet payload; returns false when the peer is not reading (buffer over the limit). */
  send(payload: Uint8Array): boolean;
  close(): void;
}

export interface CommandResult {
  status: StatusWord;
  data?: PacketData;
}

export class Connection {
  readonly id = crypto.randomUUID();
  state = ConnectionState.Anonymous;
  session?: Session;
  readonly log: Logger;
  private queue: Array<{ id: string; command: string; args: Buffer }> = [];
  private running = false;
  private idleTimer?: NodeJS.Timeout;
  private closed = false;
  readonly connectedAt = Date.now();

  constructor(
    readonly daemon: RealmDaemon,
    readonly realm: RealmInfo,
    readonly transport: Transport,
  ) {
    this.log = daemon.log.child({
      conn: this.id,
      realm: realm.id,
      remote: transport.remoteAddress,
      transport: transport.kind,
    });
    this.touch();
    daemon.connections.add(this);
    daemon.metrics.connectionsOpened.inc(1, { realm: realm.slug });
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(
      () =>
        this.fail(new ProtocolError("TIMEOUT", `no packet for ${this.daemon.config.limits.idleTimeoutMs / 1000} s`)),
      this.daemon.config.limits.idleTimeoutMs,
    );
    this.idleTimer.unref();
  }

  /** One packet payload from the transport. */
  onPacket(payload: Buffer): void {
    if (this.closed) return;
    this.touch();
    this.daemon.metrics.bytesIn.inc(payload.length);
    const req = decodeRequest(payload);
    if (!req.ok) return this.fail(req.error);
    const { id, command, args } = req.value;
    if (this.queue.length >= this.daemon.config.limits.maxQueuedRequests) {
      this.reply(id, command, {
        status: "BUSY",
        data: `too many requests in flight (limit ${this.daemon.config.limits.maxQueuedRequests}); wait for replies`,
      });
      return;
    }
    this.queue.push({ id, command, args });
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length && !this.closed) {
      const req = this.queue.shift()!;
      const started = performance.now();
      const result = await this.execute(req.command, req.args);
      this.daemon.metrics.packets.inc(1, {
        command: COMMANDS.has(req.command) ? req.command : "unknown",
        status: result.status,
      });
      this.daemon.metrics.commandSeconds.observe((performance.now() - started) / 1000, {
        command: COMMANDS.has(req.command) ? req.command : "unknown",
      });
      if (!this.closed) this.reply(req.id, req.command, result);
    }
    this.running = false;
  }

  private async execute(command: string, args: Buffer): Promise<CommandResult> {
    const spec = COMMANDS.get(command);
    if (!spec) return { status: "UNKNOWNCOMMAND", data: `unknown command "${command}"` };
    if (!spec.states.includes(this.state)) {
      const why =
        this.state === ConnectionState.Anonymous
          ? "log in first (authenticate)"
          : this.state === ConnectionState.AccountOnly
            ? "log in with a computer name for this command"
            : "not allowed now";
      return { status: "NOTALLOWED", data: `${command}: ${why}` };
    }
    try {
      return await spec.handle(this, args);
    } catch (e) {
      if (e instanceof DomainError) return { status: e.code, data: e.message };
      if (e instanceof ProtocolError) return { status: e.status, data: e.reason };
      this.daemon.metrics.errors.inc(1, { command });
      this.log.error({ err: e, command }, "command failed");
      return { status: "INTERNALERROR", data: "internal error; the operator can find it in the realm daemon's log" };
    }
  }

  reply(id: string, command: string, result: CommandResult): void {
    this.sendPayload(encodeReply(id, command, result.status, result.data));
  }

  notify(event: NotificationEvent, data?: PacketData): void {
    if (this.closed) return;
    this.sendPayload(encodeNotification(event, data));
  }

  private sendPayload(payload: Uint8Array): void {
    if (this.closed) return;
    this.daemon.metrics.bytesOut.inc(payload.length);
    if (!this.transport.send(payload)) {
      this.log.warn("peer is not reading; closing");
      this.close("slow consumer");
    }
  }

  /** Reports a protocol error to the peer and closes. */
  fail(error: ProtocolError): void {
    if (this.closed) return;
    this.log.info({ status: error.status, reason: error.reason }, "protocol error");
    this.sendPayload(encodeErrorNotification(error));
    this.close(error.reason);
  }

  close(reason = "closed"): void {
    if (this.closed) return;
    this.closed = true;
    this.state = ConnectionState.Closing;
    clearTimeout(this.idleTimer);
    this.queue = [];
    this.daemon.connections.delete(this);
    this.daemon.onConnectionClosed(this);
    this.log.debug({ reason }, "connection closed");
    this.transport.close();
  }

  /** The peer's address without the port (rate-limit buckets, audit). */
  get remoteIp(): string {
    return this.transport.remoteAddress.replace(/:\d+$/, "");
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
