// An inbound realm-to-realm connection (greeting "OpenGroove realm <peer id> [<local realm>]").
// Until both sides proved their keys only hello/auth/ping/quit are accepted; after that the
// delivery commands. Requests run one at a time in arrival order, like client connections.
import crypto from "node:crypto";
import type { Logger } from "pino";
import { decodeRequest, encodeReply, encodeErrorNotification, ProtocolError } from "../../lib/protocol/index.ts";
import { DomainError } from "../../lib/domain/errors.ts";
import type { Transport } from "../connection.ts";
import type { RealmInfo } from "../state.ts";
import type { Federation } from "./federation.ts";
import { PEER_COMMANDS } from "./commands/index.ts";
import { PeerState, type PeerResult } from "./peer-state.ts";

export { PeerState };

export class PeerConnection {
  readonly id = crypto.randomUUID();
  state = PeerState.Greeted;
  readonly log: Logger;
  serverNonce = "";
  clientNonce = "";
  private queue: Array<{ id: string; command: string; args: Buffer }> = [];
  private running = false;
  private closed = false;
  private idleTimer?: NodeJS.Timeout;
  private handshakeTimer: NodeJS.Timeout;

  constructor(
    readonly federation: Federation,
    /** The local realm the peer addressed. */
    readonly realm: RealmInfo,
    /** The realm id the peer claims (proved by auth). */
    readonly peerRealmId: string,
    readonly transport: Transport,
    /** TLS exported keying material of this connection (empty on plain TCP). */
    readonly binding: Buffer,
  ) {
    this.log = federation.log.child({
      conn: this.id,
      realm: realm.id,
      peer: peerRealmId,
      remote: transport.remoteAddress,
    });
    const limits = federation.config.limits;
    this.handshakeTimer = setTimeout(
      () =>
        this.fail(
          new ProtocolError("TIMEOUT", `realm authentication not completed within ${limits.handshakeTimeoutMs} ms`),
        ),
      limits.handshakeTimeoutMs,
    );
    this.handshakeTimer.unref();
    this.touch();
    federation.peers.add(this);
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    const ms = this.federation.daemon.config.limits.idleTimeoutMs;
    this.idleTimer = setTimeout(() => this.fail(new ProtocolError("TIMEOUT", `no packet for ${ms / 1000} s`)), ms);
    this.idleTimer.unref();
  }

  authenticated(): void {
    this.state = PeerState.Authenticated;
    clearTimeout(this.handshakeTimer);
    this.log.info("peer realm authenticated");
    void this.federation.peerSeen(this.peerRealmId).catch((err: unknown) => this.log.warn({ err }, "peerSeen failed"));
  }

  onPacket(payload: Buffer): void {
    if (this.closed) return;
    this.touch();
    const req = decodeRequest(payload);
    if (!req.ok) return this.fail(req.error);
    if (this.queue.length >= this.federation.daemon.config.limits.maxQueuedRequests) {
      this.reply(req.value.id, req.value.command, {
        status: "BUSY",
        data: "too many requests in flight; wait for replies",
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
      const result = await this.execute(req.command, req.args);
      if (this.closed) break;
      this.reply(req.id, req.command, result);
      if (result.close) this.close("refused");
    }
    this.running = false;
  }

  private async execute(command: string, args: Buffer): Promise<PeerResult> {
    const spec = PEER_COMMANDS.get(command);
    if (!spec) return { status: "UNKNOWNCOMMAND", data: `unknown realm-to-realm command "${command}"` };
    if (!spec.states.includes(this.state))
      return {
        status: "NOTALLOWED",
        data: `${command}: ${this.state === PeerState.Authenticated ? "not allowed now" : "prove your realm key first (hello, auth)"}`,
      };
    try {
      return await spec.handle(this, args);
    } catch (e) {
      if (e instanceof DomainError) return { status: e.code, data: e.message };
      if (e instanceof ProtocolError) return { status: e.status, data: e.reason };
      this.log.error({ err: e, command }, "realm-to-realm command failed");
      return { status: "INTERNALERROR", data: "internal error; the operator can find it in the realm daemon's log" };
    }
  }

  private reply(id: string, command: string, r: PeerResult): void {
    if (!this.closed && !this.transport.send(encodeReply(id, command, r.status, r.data))) this.close("slow consumer");
  }

  fail(error: ProtocolError): void {
    if (this.closed) return;
    this.log.info({ status: error.status, reason: error.reason }, "realm-to-realm protocol error");
    this.transport.send(encodeErrorNotification(error));
    this.close(error.reason);
  }

  close(reason = "closed"): void {
    if (this.closed) return;
    this.closed = true;
    this.state = PeerState.Closing;
    clearTimeout(this.idleTimer);
    clearTimeout(this.handshakeTimer);
    this.queue = [];
    this.federation.peers.delete(this);
    this.log.debug({ reason }, "realm-to-realm connection closed");
    this.transport.close();
  }
}
