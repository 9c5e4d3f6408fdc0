// The management server's two ports (63746 clients, 63747 realm servers) speak the same
// greeting and packet format as realms (docs/protocol.md). Clients list realms and fetch key
// fingerprints; realm servers enroll, prove possession of their key, heartbeat, rotate keys and
// look up other realms (docs/federation.md). Each connection runs on the shared engine
// (lib/protocol/session.ts); what is particular here is the tables, the context and the
// revocation check before every request of an authenticated realm.
import net from "node:net";
import tls from "node:tls";
import type { Logger } from "pino";
import type pg from "pg";
import { CHANNEL_BINDING_LABEL, newNonce } from "../lib/federation/signing.ts";
import { acceptStream, type StreamTransport } from "../lib/protocol/server-stream.ts";
import { ProtocolSession, type CommandResult } from "../lib/protocol/session.ts";
import { AddressList } from "../lib/net/cidr.ts";
import { admitProxied } from "../lib/net/proxy-admission.ts";
import type { ProxyEndpoint } from "../lib/net/proxy-v2.ts";
import { listenOrFail } from "../lib/runtime/daemon-lifecycle.ts";
import { Admission } from "../lib/runtime/admission.ts";
import { MANAGEMENT_DEFAULTS, type ManagementLimits } from "./config.ts";
import { CLIENT_COMMANDS, REALM_COMMANDS } from "./commands/index.ts";
import { realmStatus } from "./registry.ts";
import { RealmHub, type RealmListener } from "./realm-hub.ts";
import { encodeNotification } from "../lib/protocol/index.ts";
import { ManagementState, type ManagementContext } from "./session.ts";
import type { ManagementIdentity } from "./tls-identity.ts";

export interface PacketServerOptions {
  pool: pg.Pool;
  log: Logger;
  host: string;
  port: number;
  kind: "client" | "realm";
  limits?: ManagementLimits;
  /** TLS with the management key (the default); absent = plain TCP (loopback only, see config.ts). */
  identity?: ManagementIdentity;
  /** Shared by both ports (startManagementServer); one of its own when absent. */
  admission?: Admission;
  /**
   * PROXY protocol v2 on this port: the balancer addresses/CIDRs it is accepted from (a
   * connection from them must begin with the header; lib/net/proxy-admission.ts). Off when absent.
   */
  proxyFrom?: string[];
}

/** The management ports' PROXY protocol settings (config.ts): balancers, and which ports expect it. */
export interface ManagementProxyProtocol {
  from: string[];
  ports: ("client" | "realm")[];
}

const socketKey = (s: net.Socket) => `${s.remoteAddress}|${s.remotePort}`;

/** The admission of the management ports: the same module and rules as the realm daemon's listeners. */
export function managementAdmission(limits: ManagementLimits, log: Logger): Admission {
  return new Admission(
    () => limits,
    (reason, ip) => log.debug({ reason, ip }, "management connection refused"),
  );
}

/** What a connection knows about its channel: TLS or not, its binding, the peer's address. */
interface Channel {
  tls: boolean;
  binding: Buffer;
  remoteIp: string;
}

class ManagementConnection extends ProtocolSession<ManagementState, ManagementContext> implements RealmListener {
  private realmId?: string;
  /** Whether this connection's realm was announced to the others (realm-hub.ts). */
  private announced = false;
  /** The outstanding challenge; consumed by the command that answers it. */
  private challenge?: { nonce: string; expiresAt: number };

  constructor(
    private readonly pool: pg.Pool,
    private readonly limits: ManagementLimits,
    kind: "client" | "realm",
    log: Logger,
    transport: StreamTransport,
    private readonly channel: Channel,
    private readonly hub: RealmHub,
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
      tls: this.channel.tls,
      binding: this.channel.binding,
      remoteIp: this.channel.remoteIp,
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
        if (this.realmId) this.hub.leave(this.realmId, this);
        this.realmId = realmId;
        this.state = ManagementState.Realm;
        this.hub.join(realmId, this);
      },
      heartbeatDone: (addressChanged) => {
        if (!this.realmId || (this.announced && !addressChanged)) return;
        this.announced = true;
        const n = this.hub.announce(this.realmId);
        this.log.debug({ realmId: this.realmId, told: n }, "realm up; announced to the connected realms");
      },
    };
  }

  realmUp(realmId: string): void {
    this.send(encodeNotification("realmup", realmId));
  }

  protected onClosed(): void {
    if (this.realmId) this.hub.leave(this.realmId, this);
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
  const admission = opts.admission ?? managementAdmission(limits, opts.log);
  const hub = new RealmHub();
  const sockets = new Set<net.Socket>();
  /** Real client endpoints from PROXY headers, by the raw socket's peer (a TLS socket shows the same). */
  const realRemote = new Map<string, ProxyEndpoint>();
  const onSocket = (socket: net.Socket) => {
    const real = realRemote.get(socketKey(socket));
    const ip = real?.address ?? socket.remoteAddress ?? "?";
    // TLS: admitted (counted, deadline armed) at the raw accept (serve below); the handshake is done now.
    if (socket instanceof tls.TLSSocket) admission.ready(socket);
    sockets.add(socket);
    acceptStream(socket, {
      maxPacketBytes: limits.maxPacketBytes,
      greetingTimeoutMs: limits.greetingTimeoutMs,
      maxWriteBufferBytes: limits.maxWriteBufferBytes,
      remoteAddress: real && `${real.address}:${real.port}`,
      onGreeting: () => null,
      onReady: (transport) =>
        new ManagementConnection(
          opts.pool,
          limits,
          opts.kind,
          opts.log,
          transport,
          {
            tls: socket instanceof tls.TLSSocket,
            // Channel binding: realm proofs sign it, so a relayed proof does not verify here.
            binding:
              socket instanceof tls.TLSSocket
                ? socket.exportKeyingMaterial(32, CHANNEL_BINDING_LABEL, Buffer.alloc(0))
                : Buffer.alloc(0),
            remoteIp: ip,
          },
          hub,
        ),
    });
    socket.on("close", () => sockets.delete(socket));
  };
  let tlsServer: tls.Server | undefined;
  if (opts.identity) {
    tlsServer = tls.createServer(opts.identity.options(), onSocket);
    opts.identity.serve(tlsServer);
    tlsServer.on("tlsClientError", (e) => opts.log.debug({ err: e.message }, "TLS handshake failed"));
  }
  // Every raw socket is accepted here (the TLS server never listens itself): the PROXY header,
  // when this port expects one, is read before any TLS byte, and admission counts the real client.
  const serve = (s: net.Socket, real?: ProxyEndpoint) => {
    // Plain TCP: the greeting's own absolute timeout and byte budget apply instead of a deadline.
    if (!admission.admit(s, { ip: real?.address, deadline: !!tlsServer })) return;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    if (real) {
      const key = socketKey(s);
      realRemote.set(key, real);
      s.once("close", () => realRemote.delete(key));
    }
    // TLS reads what followed the header from the socket's buffer itself (node's initRead).
    if (tlsServer) return void tlsServer.emit("connection", s);
    onSocket(s);
    s.resume(); // paused after a PROXY header was read
  };
  const balancers = opts.proxyFrom && new AddressList(opts.proxyFrom);
  const server = net.createServer((s) => {
    if (!balancers) return serve(s);
    admitProxied(s, {
      balancers,
      timeoutMs: limits.handshakeTimeoutMs,
      onReady: serve,
      onRefused: (sock, reason) =>
        opts.log.warn({ port: opts.kind, remote: `${sock.remoteAddress}:${sock.remotePort}` }, reason),
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
        // Never listening itself; closing it lets the identity forget it (tls-identity.ts).
        tlsServer?.close();
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
  opts: Omit<PacketServerOptions, "port" | "kind" | "proxyFrom"> & {
    clientPort: number;
    realmPort: number;
    proxyProtocol?: ManagementProxyProtocol;
  },
): Promise<ManagementServer> {
  const admission = opts.admission ?? managementAdmission(opts.limits ?? MANAGEMENT_DEFAULTS, opts.log);
  const proxyFrom = (kind: "client" | "realm") =>
    opts.proxyProtocol?.ports.includes(kind) ? opts.proxyProtocol.from : undefined;
  const base = { ...opts, proxyProtocol: undefined, admission };
  const clients = await startPacketServer({
    ...base,
    port: opts.clientPort,
    kind: "client",
    proxyFrom: proxyFrom("client"),
  });
  try {
    const realms = await startPacketServer({
      ...base,
      port: opts.realmPort,
      kind: "realm",
      proxyFrom: proxyFrom("realm"),
    });
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
