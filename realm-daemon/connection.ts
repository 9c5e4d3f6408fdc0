// One client connection, independent of the transport (TLS/TCP stream or WebSocket), run by the
// shared engine (lib/protocol/session.ts). What is particular to realm clients: the command
// table, the login session, the handler context, notifications and the daemon's bookkeeping.
import { encodeNotification, type NotificationEvent, type PacketData } from "../lib/protocol/index.ts";
import { ProtocolSession } from "../lib/protocol/session.ts";
import { ConnectionState, type RealmInfo, type Session } from "./state.ts";
import { COMMANDS } from "./commands/index.ts";
import type { CommandResult, RealmContext } from "./commands/types.ts";
import type { RealmDaemon } from "./daemon.ts";

export type { CommandResult };

export interface Transport {
  readonly kind: "tls" | "tcp" | "ws";
  readonly remoteAddress: string;
  /** Sends one packet payload; returns false when the peer is not reading (buffer over the limit). */
  send(payload: Uint8Array): boolean;
  close(): void;
}

function notAllowed(state: ConnectionState, command: string): string {
  const why =
    state === ConnectionState.Anonymous
      ? "log in first (authenticate)"
      : state === ConnectionState.AccountOnly
        ? "log in with a computer name for this command"
        : "not allowed now";
  return `${command}: ${why}`;
}

export class Connection extends ProtocolSession<ConnectionState, RealmContext> {
  session?: Session;

  constructor(
    private readonly daemon: RealmDaemon,
    readonly realm: RealmInfo,
    readonly transport: Transport,
  ) {
    const limits = daemon.config.limits;
    const m = daemon.metrics;
    super({
      transport,
      log: daemon.log,
      logFields: { realm: realm.id, transport: transport.kind },
      state: ConnectionState.Anonymous,
      closingState: ConnectionState.Closing,
      commands: COMMANDS,
      maxInFlight: limits.maxQueuedRequests,
      idleTimeoutMs: limits.idleTimeoutMs,
      words: {
        unknown: (command) => `unknown command "${command}"`,
        notAllowed,
        logName: "the realm daemon's log",
      },
      hooks: {
        bytesIn: (n) => m.bytesIn.inc(n),
        bytesOut: (n) => m.bytesOut.inc(n),
        handled(command, status, seconds) {
          m.packets.inc(1, { command, status });
          m.commandSeconds.observe(seconds, { command });
        },
        internalError: (command) => m.errors.inc(1, { command }),
      },
    });
    daemon.connections.add(this);
    m.connectionsOpened.inc(1, { realm: realm.slug });
  }

  protected context(): RealmContext {
    const daemon = this.daemon;
    return {
      db: daemon.db.pool,
      messages: daemon.messages,
      exports: daemon.exports,
      session: this.session,
      realm: this.realm,
      limits: daemon.config.limits,
      webUrl: daemon.config.webUrl,
      log: this.log,
      connectionId: this.id,
      instanceId: daemon.instanceId,
      remoteIp: this.remoteIp,
      checkRemoteRecipients: daemon.federation
        ? (byRealm) => daemon.federation!.recipients.checkAll(this.realm.id, byRealm)
        : undefined,
      remotePublicKeys: daemon.federation
        ? (userId) => daemon.federation!.remoteKeys.lookup(this.realm.id, userId)
        : undefined,
      notify: (event, data) => this.notify(event, data),
      login: (session) => {
        this.session = session;
        // Closed while logging in: drop the presence row the login just wrote.
        if (this.isClosed) return this.daemon.onConnectionClosed(this);
        this.state = session.channelId
          ? ConnectionState.Channel
          : session.computer
            ? ConnectionState.Authenticated
            : ConnectionState.AccountOnly;
      },
      close: (reason) => this.close(reason),
    };
  }

  protected onClosed(): void {
    this.daemon.connections.delete(this);
    this.daemon.onConnectionClosed(this);
  }

  notify(event: NotificationEvent, data?: PacketData): void {
    this.send(encodeNotification(event, data));
  }
}
