// The management server's TLS identity: its current key (lib/federation/management-key.ts) as
// the certificate of both ports. A rotation made in the console is picked up within
// `reloadMs` (new connections get the new certificate; open ones keep theirs).
import type tls from "node:tls";
import type pg from "pg";
import type { Logger } from "pino";
import {
  currentManagementKey,
  ensureManagementKey,
  type ManagementKeyMaterial,
} from "../lib/federation/management-key.ts";

export class ManagementIdentity {
  private timer?: NodeJS.Timeout;
  private readonly servers = new Set<tls.Server>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
    public key: ManagementKeyMaterial,
  ) {}

  static async load(pool: pg.Pool, log: Logger, host = "localhost", reloadMs = 2_000): Promise<ManagementIdentity> {
    const id = new ManagementIdentity(pool, log, await ensureManagementKey(pool, host));
    id.timer = setInterval(
      () => void id.reload().catch((e: unknown) => log.warn({ err: e }, "key reload failed")),
      reloadMs,
    );
    id.timer.unref();
    return id;
  }

  get fingerprint(): string {
    return this.key.fingerprint;
  }

  options(): tls.TlsOptions {
    return { key: this.key.privateKeyPem, cert: this.key.certPem, minVersion: "TLSv1.2" };
  }

  serve(server: tls.Server): void {
    this.servers.add(server);
    server.once("close", () => this.servers.delete(server));
  }

  /** Switches to the newest key if it changed (console rotation). */
  async reload(): Promise<boolean> {
    const k = await currentManagementKey(this.pool);
    if (!k || k.fingerprint === this.key.fingerprint) return false;
    this.key = k;
    for (const s of this.servers) s.setSecureContext(this.options());
    this.log.info({ fingerprint: k.fingerprint }, "management key changed; new connections use it");
    return true;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
