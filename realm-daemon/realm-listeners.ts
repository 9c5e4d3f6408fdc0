// Reconciles TCP/TLS listeners with the realms in the database: a realm created, edited or
// disabled in the console starts, changes or stops serving without a restart. One listener
// per port; several realms on one port are told apart by the greeting's first word (and by
// SNI for their certificates).
import net from "node:net";
import tls from "node:tls";
import { ensureRealmKey, type RealmKeyMaterial } from "../lib/realm/keys.ts";
import { listenOrFail, PortInUseError } from "../lib/runtime/daemon-lifecycle.ts";
import { handleStreamSocket } from "./stream-transport.ts";
import { LegacyListeners } from "./legacy-listeners.ts";
import { admitProxied } from "../lib/net/proxy-admission.ts";
import { AddressList } from "../lib/net/cidr.ts";
import type { ProxyEndpoint } from "../lib/net/proxy-v2.ts";
import type { RealmDaemon } from "./daemon.ts";
import type { RealmInfo } from "./state.ts";

const socketKey = (s: net.Socket) => `${s.remoteAddress}|${s.remotePort}`;

/** How often a realm port that was in use is tried again. */
const LISTEN_RETRY_MS = 2_000;

interface Listener {
  port: number;
  actualPort: number;
  server: net.Server;
  /** Not listening: takes each admitted socket from `server` (absent with plain TCP). */
  tlsServer?: tls.Server;
  contexts: Map<string, tls.SecureContext>;
  defaultRealm: string;
  /** TLS fingerprint of the certificate served to clients without SNI. */
  defaultFingerprint: string;
}

export class RealmListeners {
  private listeners = new Map<number, Listener>();
  private keys = new Map<string, RealmKeyMaterial>();
  /** Ports that could not be bound (in use), with the error; retried every LISTEN_RETRY_MS. */
  readonly listenErrors = new Map<number, { realms: string[]; error: string }>();
  private retryTimer?: NodeJS.Timeout;

  /** Balancers allowed to send PROXY protocol headers (when configured). */
  private readonly proxyBalancers?: AddressList;
  /** Real client "address:port" of a proxied socket, by its socket key, until the TLS layer is up. */
  private readonly realRemote = new Map<string, string>();

  /** Legacy TLS ports for original 2008 clients (realms with legacyTlsPort set). */
  readonly legacy: LegacyListeners;

  constructor(private readonly daemon: RealmDaemon) {
    this.legacy = new LegacyListeners(daemon);
    const p = daemon.config.proxyProtocol;
    if (p) this.proxyBalancers = new AddressList(p.from);
  }

  get addresses(): string[] {
    const scheme = this.daemon.config.plainTcp ? "tcp" : "tls";
    return [...this.listeners.values()]
      .map((l) => {
        const names = this.daemon
          .realmsOnPort(l.port)
          .map((r) => r.slug)
          .join("+");
        return `${scheme}://${this.daemon.config.bindHost}:${l.actualPort} (${names})`;
      })
      .concat(this.legacy.addresses);
  }

  /** Actual bound port for a realm's configured port (differs with ephemeral ports). */
  actualPort(port: number): number | undefined {
    return this.listeners.get(port)?.actualPort;
  }

  keyFor(realmId: string): RealmKeyMaterial | undefined {
    return this.keys.get(realmId);
  }

  async reconcile(realms: RealmInfo[]): Promise<void> {
    const active = realms.filter((r) => r.status === "ACTIVE");
    // The current key is read on every reload, so a rotation (by any instance) is served at once.
    for (const r of active) this.keys.set(r.id, await ensureRealmKey(this.daemon.db.pool, r.id, r.host));
    const wanted = new Map<number, RealmInfo[]>();
    for (const r of active) wanted.set(r.port, [...(wanted.get(r.port) ?? []), r]);
    for (const [port, l] of this.listeners) {
      if (!wanted.has(port)) {
        this.listeners.delete(port);
        l.server.close();
        this.daemon.log.info({ port }, "realm listener stopped");
      }
    }
    for (const [port, rs] of wanted) {
      const existing = this.listeners.get(port);
      if (existing) {
        for (const r of rs) existing.contexts.set(r.host.toLowerCase(), this.context(r.id));
        existing.defaultRealm = rs[0].id;
        // Clients that send no SNI (connecting by address) get the server's default context.
        const def = this.keys.get(rs[0].id)!;
        if (existing.tlsServer && existing.defaultFingerprint !== def.tlsFingerprint) {
          existing.tlsServer.setSecureContext({ key: def.privateKeyPem, cert: def.certPem, minVersion: "TLSv1.2" });
          existing.defaultFingerprint = def.tlsFingerprint;
        }
        continue;
      }
      try {
        await this.open(port, rs);
        this.listenErrors.delete(port);
      } catch (e) {
        if (!(e instanceof PortInUseError)) throw e;
        // One realm on a busy port must not take the daemon (and every other realm) down.
        this.listenErrors.set(port, { realms: rs.map((r) => r.id), error: e.message });
        this.daemon.log.error({ port, realms: rs.map((r) => r.id) }, e.message);
      }
    }
    for (const port of this.listenErrors.keys()) if (!wanted.has(port)) this.listenErrors.delete(port);
    await this.legacy.reconcile(active, this.listenErrors);
    if (this.listenErrors.size && !this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.daemon.reloadRealms().catch((e: unknown) => this.daemon.log.error({ err: e }, "realm reload failed"));
      }, LISTEN_RETRY_MS);
      this.retryTimer.unref();
    }
  }

  private context(realmId: string): tls.SecureContext {
    const k = this.keys.get(realmId)!;
    return tls.createSecureContext({ key: k.privateKeyPem, cert: k.certPem, minVersion: "TLSv1.2" });
  }

  private async open(port: number, rs: RealmInfo[]): Promise<void> {
    const cfg = this.daemon.config;
    const contexts = new Map<string, tls.SecureContext>();
    for (const r of rs) contexts.set(r.host.toLowerCase(), this.context(r.id));
    const entry: Listener = {
      port,
      actualPort: 0,
      server: undefined as unknown as net.Server,
      contexts,
      defaultRealm: rs[0].id,
      defaultFingerprint: this.keys.get(rs[0].id)!.tlsFingerprint,
    };
    // Sockets are accepted by a plain TCP server; TLS (when on) is layered on each one after
    // admission, so a PROXY protocol header can be read before the first TLS byte.
    let tlsServer: tls.Server | undefined;
    if (!cfg.plainTcp) {
      const def = this.keys.get(rs[0].id)!;
      tlsServer = tls.createServer(
        {
          key: def.privateKeyPem,
          cert: def.certPem,
          minVersion: "TLSv1.2",
          handshakeTimeout: cfg.limits.handshakeTimeoutMs,
          SNICallback: (name, cb) =>
            cb(
              null,
              entry.contexts.get(name.toLowerCase()) ??
                entry.contexts.get(this.daemon.realmById(entry.defaultRealm)?.host.toLowerCase() ?? ""),
            ),
        },
        (s) => {
          this.daemon.admission.ready(s);
          handleStreamSocket(this.daemon, s, port, "tls", this.realRemote.get(socketKey(s)));
        },
      );
      tlsServer.on("tlsClientError", () => this.daemon.metrics.errors.inc(1, { command: "tls" }));
    }
    const serve = (s: net.Socket, real?: ProxyEndpoint) => {
      // Counted before the TLS handshake (handshake floods are bounded too), with an absolute
      // handshake deadline; plain TCP's greeting timeout starts at once (lib/runtime/admission.ts).
      if (!this.daemon.admission.admit(s, { ip: real?.address, deadline: !!tlsServer })) return;
      const remote = real && `${real.address}:${real.port}`;
      if (!tlsServer) {
        handleStreamSocket(this.daemon, s, port, "tcp", remote);
        s.resume(); // paused after a PROXY header was read
        return;
      }
      if (remote) {
        const key = socketKey(s);
        this.realRemote.set(key, remote);
        s.once("close", () => this.realRemote.delete(key));
      }
      // The TLS layer (an OpenSSL session, tens of KiB) is only set up once the peer sends its
      // first bytes: a silent socket costs a plain socket until the admission deadline ends it.
      s.once("data", (first: Buffer) => {
        s.pause();
        s.unshift(first); // the TLS layer reads what the socket has buffered when it wraps it
        tlsServer.emit("connection", s);
      });
      s.resume(); // paused after a PROXY header was read
    };
    const proxied = this.proxyBalancers && (!cfg.proxyProtocol?.ports || cfg.proxyProtocol.ports.includes(port));
    const server = net.createServer((s) => {
      if (!proxied) return serve(s);
      admitProxied(s, {
        balancers: this.proxyBalancers!,
        timeoutMs: cfg.limits.handshakeTimeoutMs,
        onReady: serve,
        onRefused: (sock, reason) => {
          this.daemon.metrics.errors.inc(1, { command: "proxy-protocol" });
          this.daemon.log.warn({ port, remote: `${sock.remoteAddress}:${sock.remotePort}` }, reason);
        },
      });
    });
    entry.tlsServer = tlsServer;
    server.maxConnections = cfg.limits.maxConnections;
    entry.server = server;
    entry.actualPort = await listenOrFail(
      server,
      cfg.ephemeralPorts ? 0 : port,
      cfg.bindHost,
      `realm ${rs.map((r) => r.slug).join(", ")}`,
    );
    this.listeners.set(port, entry);
    this.daemon.log.info({ port, actualPort: entry.actualPort, realms: rs.map((r) => r.id) }, "realm listener started");
  }

  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    await this.legacy.close();
    await Promise.all([...this.listeners.values()].map((l) => new Promise<void>((r) => l.server.close(() => r()))));
    this.listeners.clear();
  }
}
