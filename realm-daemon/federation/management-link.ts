// One local realm's connection to the management server (port 63747): authenticate by proof of
// key possession (or enroll with the configured token, or ask for approval), heartbeat with the
// realm's public metadata, look up peers, publish rotated keys. Reconnects with backoff.
import type { Logger } from "pino";
import type pg from "pg";
import { PacketLink, LinkError, type LinkReply } from "../../lib/federation/packet-client.ts";
import { decodeRecord, type RegistryRecord } from "../../lib/federation/registry-wire.ts";
import { encodeProofs, managementAuthPayload, managementKeyPayload, sign } from "../../lib/federation/signing.ts";
import { loadSigningKeys, proofsFor, type SigningKey } from "../../lib/federation/local-keys.ts";
import { verifyManagementKey } from "./management-pinning.ts";
import type { RealmInfo } from "../state.ts";
import type { FederationConfig } from "./config.ts";

export type LinkState = "connecting" | "approved" | "pending" | "refused";

export interface LinkContext {
  pool: pg.Pool;
  config: FederationConfig;
  log: Logger;
  /** The realm's current metadata lines for enroll/heartbeat (address, name, ...). */
  metadata(realm: RealmInfo): string[];
  realm(): RealmInfo | undefined;
  /** Called each time the link is approved (publishes keys a crash left unpublished). */
  onApproved?(realmId: string): void;
  /** The management server announced that another realm came up or moved (push `realmup`). */
  onRealmUp?(realmId: string): void;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

export class ManagementLink {
  state: LinkState = "connecting";
  lastError = "";
  private link?: PacketLink;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private retryMs: number;
  private ready?: Promise<void>;

  constructor(
    readonly realmId: string,
    private readonly ctx: LinkContext,
  ) {
    this.retryMs = ctx.config.limits.managementReconnectMinMs;
  }

  start(): Promise<void> {
    this.ready = this.connect();
    return this.ready;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.link && !this.link.closed && this.state === "approved") {
      try {
        await this.heartbeat();
        return this.schedule(this.ctx.config.limits.managementHeartbeatMs);
      } catch (e) {
        this.lastError = e instanceof Error ? e.message : String(e);
        this.link.close();
      }
    }
    await this.connect();
  }

  private async request(command: string, args?: Uint8Array | readonly string[]): Promise<LinkReply> {
    if (!this.link || this.link.closed) throw new LinkError("DISCONNECTED", "not connected to the management server");
    return this.link.request(command, args);
  }

  private async challenge(): Promise<string> {
    const r = await this.request("challenge");
    if (r.status !== "OK" || !r.text.startsWith("nonce=")) throw new LinkError(r.status, `challenge: ${r.text}`);
    return r.text.slice(6);
  }

  private async connect(): Promise<void> {
    const { config, log } = this.ctx;
    try {
      this.link?.close();
      this.link = await PacketLink.open({
        address: config.managementAddress,
        tls: config.managementTls,
        words: [],
        timeoutMs: config.limits.requestTimeoutMs,
        maxPacketBytes: 65_536,
      });
      this.link.on("notification", (event: string, data: string) => {
        if (event === "realmup" && /^[A-Za-z0-9._:[\]-]{1,300}$/.test(data) && data !== this.realmId)
          this.ctx.onRealmUp?.(data);
      });
      try {
        await verifyManagementKey(this.link, this.ctx.pool, config, log);
      } catch (e) {
        if (!(e instanceof LinkError) || e.status !== "BADAUTH") throw e;
        this.state = "refused";
        this.lastError = e.message;
        this.link.close();
        log.error({ realm: this.realmId, error: e.message }, "management server key mismatch");
        return this.schedule(config.limits.managementHeartbeatMs);
      }
      const keys = await loadSigningKeys(this.ctx.pool, this.realmId);
      if (!keys.length) throw new Error(`realm ${this.realmId} has no key yet`);
      const nonce = await this.challenge();
      const auth = await this.request("authrealm", [
        this.realmId,
        ...encodeProofs(proofsFor(keys, managementAuthPayload(this.realmId, nonce, this.link.binding))),
      ]);
      if (auth.status === "OK") this.state = "approved";
      else if (auth.status === "NOTALLOWED") this.state = "pending";
      else if (auth.status === "NOSUCHREALM") {
        await this.enroll(keys[0]);
        // Several instances of this realm starting together all find it unknown and enroll with
        // the one-time token: one wins, the others are refused. Asked again at once, they are
        // known (authrealm OK) instead of waiting a whole heartbeat interval without federation.
        if (this.state === "refused" && !this.enrollRetried) {
          this.enrollRetried = true;
          this.link.close();
          return this.schedule(config.limits.managementReconnectMinMs);
        }
      } else {
        this.state = "refused";
        this.lastError = `${auth.status} ${auth.text}`;
      }
      if (this.state === "approved") {
        await this.heartbeat();
        this.retryMs = config.limits.managementReconnectMinMs;
        log.info({ realm: this.realmId }, "authenticated to the management server");
        this.schedule(config.limits.managementHeartbeatMs);
        this.ctx.onApproved?.(this.realmId);
        return;
      }
      this.link.close();
      if (this.state === "pending")
        log.info({ realm: this.realmId }, "waiting for the management server's administrator to approve this realm");
      else log.warn({ realm: this.realmId, error: this.lastError }, "the management server refused this realm");
      return this.schedule(config.limits.managementHeartbeatMs);
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
      if (this.state === "approved") this.state = "connecting";
      log.debug({ realm: this.realmId, err: this.lastError }, "management server unreachable; retrying");
      this.link?.close();
      const wait = this.retryMs;
      this.retryMs = Math.min(this.retryMs * 2, config.limits.managementReconnectMaxMs);
      return this.schedule(wait);
    }
  }

  /** A refused enrollment was followed by one prompt retry (see connect). */
  private enrollRetried = false;

  private async enroll(key: {
    fingerprint: string;
    publicKeyPem: string;
    privateKeyPem: string;
    certPem: string;
  }): Promise<void> {
    const realm = this.ctx.realm();
    if (!realm) throw new Error(`realm ${this.realmId} is not served here`);
    const nonce = await this.challenge();
    const lines = [
      `realm=${this.realmId}`,
      `key=${b64(key.publicKeyPem)}`,
      `cert=${b64(key.certPem)}`,
      `proof=${sign(key.privateKeyPem, managementKeyPayload("enroll", this.realmId, key.fingerprint, nonce, this.link!.binding))}`,
      `token=${this.ctx.config.enrollmentToken}`,
      ...this.ctx.metadata(realm),
    ];
    const r = await this.request("enroll", lines);
    if (r.status !== "OK") {
      this.state = "refused";
      this.lastError = `${r.status} ${r.text}`;
      return;
    }
    this.state = r.text === "status=APPROVED" ? "approved" : "pending";
    this.ctx.log.info({ realm: this.realmId, status: this.state }, "enrolled with the management server");
  }

  private async heartbeat(): Promise<void> {
    const realm = this.ctx.realm();
    if (!realm) return;
    const r = await this.request("heartbeat", this.ctx.metadata(realm));
    if (r.status !== "OK") {
      this.state = r.status === "UNAUTHORIZED" ? "refused" : "connecting";
      throw new LinkError(r.status, `heartbeat: ${r.text}`);
    }
  }

  get usable(): boolean {
    return this.state === "approved" && !!this.link && !this.link.closed;
  }

  /** A peer's registry entry; null when the management server does not know it. */
  async lookup(realmId: string): Promise<RegistryRecord | null> {
    if (!this.usable)
      throw new LinkError("DISCONNECTED", `the management server is unreachable (${this.lastError || this.state})`);
    const r = await this.request("getrealm", [realmId]);
    if (r.status === "NOSUCHREALM") return null;
    if (r.status !== "OK") throw new LinkError(r.status, `getrealm: ${r.text}`);
    const rec = decodeRecord(realmId, r.lines);
    if (!rec) throw new LinkError("BADPACKET", `getrealm: malformed answer for ${realmId}`);
    return rec;
  }

  /**
   * Publishes a new key: proved with the new key and vouched for by the current ones (both bound
   * to the challenge and this TLS channel). Returns until when the older keys stay valid.
   */
  async publishKey(key: SigningKey, current: readonly SigningKey[]): Promise<Date> {
    if (!this.usable)
      throw new LinkError("DISCONNECTED", `the management server is unreachable (${this.lastError || this.state})`);
    const nonce = await this.challenge();
    const binding = this.link!.binding;
    const r = await this.request("rotatekey", [
      `key=${b64(key.publicKeyPem)}`,
      `cert=${b64(key.certPem)}`,
      `proof=${sign(key.privateKeyPem, managementKeyPayload("rotate", this.realmId, key.fingerprint, nonce, binding))}`,
      ...encodeProofs(
        proofsFor(current, managementKeyPayload("vouch", this.realmId, key.fingerprint, nonce, binding)),
        "vouch",
      ),
    ]);
    if (r.status !== "OK") throw new LinkError(r.status, `rotatekey: ${r.text}`);
    return new Date(r.text.replace(/^oldvaliduntil=/, ""));
  }

  /** Resolves once the first connection attempt finished (whatever its outcome). */
  whenStarted(): Promise<void> {
    return this.ready ?? Promise.resolve();
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.link?.close();
  }
}
