// Legacy TLS ports (#15): for each active realm with `legacyTlsPort` set, one extra TLS listener
// that the original 2008 client can complete a handshake with (TLS 1.2, RSA key exchange, RSA
// certificate with subject exactly CN=<realm id>; lib/realm/legacy-tls.ts). Behind the handshake
// everything is the realm port's: the same admission caps and handshake deadline, greeting,
// sync byte and command table (handleStreamSocket). Reconciled on every realm reload, so setting
// or clearing the port in the console opens or closes it without a restart.
import tls from "node:tls";
import type net from "node:net";
import { ensureLegacyTlsKey, legacyTlsOptions } from "../lib/realm/legacy-tls.ts";
import { listenOrFail, PortInUseError } from "../lib/runtime/daemon-lifecycle.ts";
import { handleStreamSocket } from "./stream-transport.ts";
import type { RealmDaemon } from "./daemon.ts";
import type { RealmInfo } from "./state.ts";

interface LegacyListener {
  realmId: string;
  port: number;
  actualPort: number;
  server: tls.Server;
}

export class LegacyListeners {
  /** By configured legacy port. */
  private listeners = new Map<number, LegacyListener>();

  constructor(private readonly daemon: RealmDaemon) {}

  /** Actual bound legacy port of a realm (differs from the setting with ephemeral ports). */
  actualPort(realmId: string): number | undefined {
    for (const l of this.listeners.values()) if (l.realmId === realmId) return l.actualPort;
    return undefined;
  }

  get addresses(): string[] {
    return [...this.listeners.values()].map(
      (l) => `tls-legacy://${this.daemon.config.bindHost}:${l.actualPort} (${this.daemon.realmById(l.realmId)?.slug})`,
    );
  }

  /**
   * Opens, keeps or closes legacy listeners for `active` realms. Ports that cannot be bound are
   * added to `errors` (the realm listeners' listenErrors: shown on /healthz and retried).
   */
  async reconcile(active: RealmInfo[], errors: Map<number, { realms: string[]; error: string }>): Promise<void> {
    // Plain-TCP test mode has no TLS to offer; one port serves one realm (no SNI in the original).
    const wanted = new Map<number, RealmInfo>();
    if (!this.daemon.config.plainTcp) {
      // A realm already listening on its legacy port keeps it; a later claimant gets the error.
      const holds = (r: RealmInfo) => this.listeners.get(r.legacyTlsPort ?? -1)?.realmId === r.id;
      const ordered = [...active].sort((a, b) => Number(holds(b)) - Number(holds(a)));
      for (const r of ordered) {
        if (r.legacyTlsPort === null) continue;
        const other = wanted.get(r.legacyTlsPort);
        if (other) {
          const error = `legacy TLS port ${r.legacyTlsPort} is already the legacy port of realm ${other.id}`;
          errors.set(r.legacyTlsPort, { realms: [other.id, r.id], error });
          this.daemon.log.error({ port: r.legacyTlsPort, realm: r.id }, error);
          continue;
        }
        wanted.set(r.legacyTlsPort, r);
      }
    }
    for (const [port, l] of this.listeners) {
      if (wanted.get(port)?.id !== l.realmId) {
        this.listeners.delete(port);
        l.server.close();
        this.daemon.log.info({ port, realm: l.realmId }, "legacy TLS listener stopped");
      }
    }
    for (const [port, r] of wanted) {
      if (this.listeners.has(port)) continue;
      try {
        await this.open(port, r);
        errors.delete(port);
      } catch (e) {
        if (!(e instanceof PortInUseError)) throw e;
        // A busy legacy port is reported like a busy realm port and never stops the daemon.
        errors.set(port, { realms: [r.id], error: e.message });
        this.daemon.log.error({ port, realm: r.id }, e.message);
      }
    }
  }

  private async open(port: number, r: RealmInfo): Promise<void> {
    const cfg = this.daemon.config;
    const key = await ensureLegacyTlsKey(this.daemon.db.pool, r.id);
    const server = tls.createServer(
      { ...legacyTlsOptions(key), handshakeTimeout: cfg.limits.handshakeTimeoutMs },
      (s) => {
        this.daemon.admission.ready(s);
        // The realm's own port number keys its connections (metrics, realmsOnPort); the realm is fixed.
        handleStreamSocket(this.daemon, s, r.port, "tls", undefined, r.id);
      },
    );
    // Shared admission (lib/runtime/admission.ts): same caps and handshake deadline as the realm port.
    server.on("connection", (s: net.Socket) => void this.daemon.admission.admit(s, { deadline: true }));
    server.on("tlsClientError", () => this.daemon.metrics.errors.inc(1, { command: "tls-legacy" }));
    server.maxConnections = cfg.limits.maxConnections;
    const actualPort = await listenOrFail(
      server,
      cfg.ephemeralPorts ? 0 : port,
      cfg.bindHost,
      `legacy TLS port of realm ${r.slug}`,
    );
    this.listeners.set(port, { realmId: r.id, port, actualPort, server });
    this.daemon.log.info({ port, actualPort, realm: r.id }, "legacy TLS listener started");
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners.values()].map((l) => new Promise<void>((res) => l.server.close(() => res()))));
    this.listeners.clear();
  }
}
