// The management server's two ports (63746 clients, 63747 realm servers) speak the same
// greeting and packet format as realms (docs/protocol.md). Clients list realms and fetch key
// fingerprints; realm servers enroll, prove possession of their key, heartbeat, rotate keys and
// look up other realms (docs/federation.md). Each connection runs on the shared engine
// (lib/protocol/session.ts); what is particular here is the tables, the context and the
// revocation check before every request of an authenticated realm.
import net from "node:net";
import type { Logger } from "pino";
import type pg from "pg";
import { newNonce } from "../lib/federation/signing.ts";
import { acceptStream, type StreamTransport } from "../lib/protocol/server-stream.ts";
import { ProtocolSession, type CommandResult } from "../lib/protocol/session.ts";
import { listenOrFail } from "../lib/runtime/daemon-lifecycle.ts";
import { MANAGEMENT_DEFAULTS, type ManagementLimits } from "./config.ts";
import { CLIENT_COMMANDS, REALM_COMMANDS } from "./commands/index.ts";
import { realmStatus } from "./registry.ts";
import { ManagementState, type ManagementContext } from "./session.ts";

export interface PacketServerOptions {
  pool: pg.Pool;
  log: Logger;
  host: string;
  port: number;
  kind: "client" | "realm";
  limits?: ManagementLimits;
}

class ManagementConnection extends ProtocolSession<ManagementState, ManagementContext> {
  private realmId?: string;
  /** The outstanding challenge; consumed by the command that answers it. */
  private challenge?: { nonce: string; expiresAt: number };

  constructor(
    private readonly pool: pg.Pool,
    private readonly limits: ManagementLimits,
    kind: "client" | "realm",
    log: Logger,
    transport: StreamTransport,
  ) {
    super({
      transport,
      log,
      logFields: { port: kind },
      state: ManagementState.Anonymous,
      commands: kind === "client" ? CLIENT_COMMANDS : REALM_COMMANDS,
      maxInFlight: limits.maxQueuedRequests,
      // Realms heartbeat well inside the idle timeout; anything quieter is closed.
      idleTimeoutMs: limits.idleTimeoutMs,
      words: {
        unknown: (command) => `unknown command "${command}" on the management ${kind} port`,
        notAllowed: (state, command) =>
          state === ManagementState.Anonymous
            ? `${command}: authenticate as a realm first`
            : `${command}: already authenticated`,
        logName: "the management daemon's log",
      },
    });
  }

  protected context(): ManagementContext {
    return {
      db: this.pool,
      log: this.log,
      limits: this.limits,
      realmId: this.realmId,
      newChallenge: () => {
        const nonce = newNonce();
        this.challenge = { nonce, expiresAt: Date.now() + this.limits.challengeTtlMs };
        return nonce;
      },
      takeChallenge: () => {
        const c = this.challenge;
        this.challenge = undefined;
        return c && c.expiresAt > Date.now() ? c.nonce : null;
      },
      authenticated: (realmId) => {
        this.realmId = realmId;
        this.state = ManagementState.Realm;
      },
    };
  }

  /** Revocation takes effect on the very next request of an open connection. */
  protected async guard(): Promise<CommandResult | null> {
    if (this.state !== ManagementState.Realm) return null;
    const status = await realmStatus(this.pool, this.realmId!);
    if (status === "APPROVED") return null;
    this.log.warn({ realmId: this.realmId, status }, "realm no longer approved; closing");
    return {
      status: "UNAUTHORIZED",
      data: `realm ${this.realmId} is ${status === "REVOKED" ? "revoked" : "no longer approved"} by the management server's administrator`,
      close: true,
    };
  }
}

export async function startPacketServer(opts: PacketServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const limits = opts.limits ?? MANAGEMENT_DEFAULTS;
  const perIp = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const ip = socket.remoteAddress ?? "?";
    if ((perIp.get(ip) ?? 0) >= limits.maxConnectionsPerIp) return void socket.destroy();
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    sockets.add(socket);
    acceptStream(socket, {
      maxPacketBytes: limits.maxPacketBytes,
      greetingTimeoutMs: limits.greetingTimeoutMs,
      maxWriteBufferBytes: limits.maxWriteBufferBytes,
      onGreeting: () => null,
      onReady: (transport) => new ManagementConnection(opts.pool, limits, opts.kind, opts.log, transport),
    });
    socket.on("close", () => {
      sockets.delete(socket);
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
    });
  });
  const port = await listenOrFail(
    server,
    opts.port,
    opts.host,
    opts.kind === "client"
      ? "management clients, OPENGROOVE_MANAGEMENT_CLIENT_PORT"
      : "management realms, OPENGROOVE_MANAGEMENT_REALM_PORT",
  );
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      }),
  };
}

export interface ManagementServer {
  clientPort: number;
  realmPort: number;
  close(): Promise<void>;
}

/** Both ports on one pool (the daemon's main, and in-process in tests). */
export async function startManagementServer(
  opts: Omit<PacketServerOptions, "port" | "kind"> & { clientPort: number; realmPort: number },
): Promise<ManagementServer> {
  const clients = await startPacketServer({ ...opts, port: opts.clientPort, kind: "client" });
  try {
    const realms = await startPacketServer({ ...opts, port: opts.realmPort, kind: "realm" });
    return {
      clientPort: clients.port,
      realmPort: realms.port,
      async close() {
        await Promise.all([clients.close(), realms.close()]);
      },
    };
  } catch (e) {
    await clients.close();
    throw e;
  }
}
