// Federation inside the realm daemon: one management-server link per local realm (enroll,
// heartbeat, lookups, key publication), the peer-key cache and trust decisions, inbound
// realm-to-realm connections, the outbox worker, and periodic refresh of every cached peer so a
// revocation reaches this realm within a minute. See docs/federation.md.
import type { Logger } from "pino";
import { generateRealmKey } from "../../lib/realm/keys.ts";
import { CHANNELS, notify } from "../../lib/db/notify.ts";
import {
  loadPendingKeys,
  loadSigningKeys,
  markKeyPublished,
  storePendingKey,
} from "../../lib/federation/local-keys.ts";
import { LinkError } from "../../lib/federation/packet-client.ts";
import { cachedPeerIds, loadPeer, markStale } from "../../lib/federation/peer-cache.ts";
import { peerBack, waitingTargets } from "../../lib/federation/outbox-queue.ts";
import { pruneReceived } from "../../lib/federation/inbound-store.ts";
import type { Transport } from "../connection.ts";
import type { RealmDaemon } from "../daemon.ts";
import type { RealmInfo } from "../state.ts";
import type { FederationConfig } from "./config.ts";
import { ManagementLink } from "./management-link.ts";
import { OutboxWorker } from "./outbox-worker.ts";
import { PeerConnection } from "./peer-connection.ts";
import { PeerTrust } from "./trust.ts";
import { RecipientChecker } from "./recipient-checker.ts";
import { RemoteKeys } from "./remote-keys.ts";

export class Federation {
  readonly peers = new Set<PeerConnection>();
  readonly links = new Map<string, ManagementLink>();
  readonly trust: PeerTrust;
  readonly outbox: OutboxWorker;
  readonly recipients: RecipientChecker;
  /** Public computer keys of other realms' users (end-to-end encryption across realms). */
  readonly remoteKeys: RemoteKeys;
  readonly log: Logger;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(
    readonly daemon: RealmDaemon,
    readonly config: FederationConfig,
  ) {
    this.log = daemon.log.child({ component: "federation" });
    this.trust = new PeerTrust(daemon.db.pool, (id) => this.lookup(id), config.limits, this.log);
    this.outbox = new OutboxWorker(this);
    this.recipients = new RecipientChecker(this);
    this.remoteKeys = new RemoteKeys(this);
  }

  async start(): Promise<void> {
    await this.syncLinks();
    await Promise.all([...this.links.values()].map((l) => l.whenStarted()));
    this.outbox.start();
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(
        () => void fn().catch((e: unknown) => this.log.warn({ err: e }, "federation task failed")),
        ms,
      );
      t.unref();
      this.timers.push(t);
    };
    const l = this.config.limits;
    every(l.peerRefreshMs, () => this.refreshPeers());
    every(l.managementHeartbeatMs, () => this.syncLinks());
    every(l.housekeepingMs, () => pruneReceived(this.daemon.db.pool, l.receivedRetentionDays));
  }

  /** One management link per active local realm. */
  async syncLinks(): Promise<void> {
    if (this.stopped) return;
    const active = new Set(
      this.daemon
        .listRealms()
        .filter((r) => r.status === "ACTIVE")
        .map((r) => r.id),
    );
    for (const [id, link] of this.links) {
      if (!active.has(id)) {
        link.close();
        this.links.delete(id);
      }
    }
    for (const id of active) {
      if (this.links.has(id)) continue;
      const link = new ManagementLink(id, {
        pool: this.daemon.db.pool,
        config: this.config,
        log: this.log,
        metadata: (r) => this.metadata(r),
        realm: () => this.daemon.realmById(id),
        onApproved: (realmId) =>
          void this.publishPending(realmId).catch((e: unknown) =>
            this.log.warn(
              { realm: realmId, err: e },
              "could not publish a pending key yet; retrying at the next connection",
            ),
          ),
      });
      this.links.set(id, link);
      void link.start();
    }
  }

  /** The address other realms reach this realm at, and the public metadata clients see. */
  metadata(r: RealmInfo): string[] {
    const port = this.daemon.listeners.actualPort(r.port) ?? r.port;
    return [
      `address=${this.config.advertiseHost || r.host}:${port}`,
      `name=${r.name}`,
      `description=${r.description.replace(/[\r\n]+/g, " ")}`,
      `registration=${r.registrationMode.toLowerCase()}`,
      `captcha=${r.captchaProvider !== "NONE"}`,
      `signupurl=${this.daemon.config.webUrl}/signup/${r.slug}`,
    ];
  }

  /** Registry lookup through any approved link; LinkError when none is usable. */
  lookup(realmId: string) {
    const link = [...this.links.values()].find((l) => l.usable);
    if (!link) return Promise.reject(new LinkError("DISCONNECTED", "the management server is unreachable"));
    return link.lookup(realmId);
  }

  acceptPeer(realm: RealmInfo, peerRealmId: string, transport: Transport, binding: Buffer): PeerConnection {
    return new PeerConnection(this, realm, peerRealmId, transport, binding);
  }

  /** A peer's address did not answer: fetch it again before the next attempt (it may have moved). */
  async addressFailed(realmId: string): Promise<void> {
    await markStale(this.daemon.db.pool, realmId).catch(() => undefined);
  }

  /** A peer realm tried to deliver a message whose sender belongs to another realm: refused, logged, audited. */
  async recordSpoof(
    conn: { log: Logger; realmId: string; peerRealmId: string; id: string; ip: string },
    messageId: string,
    senderId: string,
  ): Promise<void> {
    conn.log.warn({ messageId, senderId }, "refused a message from a peer realm that claims a sender of another realm");
    await this.daemon.db.pool
      .query(
        `INSERT INTO audit_log ("actorLabel", action, "targetType", "targetId", "realmId", after, ip) VALUES ($1, 'federation.sender-spoof-refused', 'message', $2, $3, $4, $5)`,
        [
          `realm:${conn.peerRealmId}`,
          messageId,
          conn.realmId,
          JSON.stringify({ peer: conn.peerRealmId, senderId, connection: conn.id }),
          conn.ip,
        ],
      )
      .catch((e: unknown) => conn.log.error({ err: e }, "could not write the audit record"));
  }

  /**
   * Re-fetches every cached peer and every realm deliveries are waiting for; connections of peers
   * that are no longer approved are closed; a peer that moved or became approved gets what is
   * queued for it at once.
   */
  async refreshPeers(): Promise<void> {
    const pool = this.daemon.db.pool;
    const ids = new Set([...(await cachedPeerIds(pool)), ...(await waitingTargets(pool))]);
    for (const id of ids) {
      if (this.stopped) return;
      let ok = true;
      try {
        const before = await loadPeer(pool, id);
        const p = await this.trust.refresh(id);
        ok = p?.status === "APPROVED";
        if (ok && (before?.status !== "APPROVED" || before.address !== p?.address)) await this.peerSeen(id);
      } catch (e) {
        if (e instanceof LinkError) return; // management server down: keep using the cache
        throw e;
      }
      if (!ok) this.dropPeer(id, "no longer approved by the management server");
    }
  }

  /** A peer showed it is back (it connected here, moved, or was approved): what waits for it goes now. */
  async peerSeen(realmId: string): Promise<void> {
    if (await peerBack(this.daemon.db.pool, realmId)) {
      this.log.info({ peer: realmId }, "realm is back; delivering what is queued for it");
      this.outbox.kick();
    }
  }

  dropPeer(realmId: string, why: string): void {
    this.outbox.dropLinks(realmId);
    for (const c of this.peers) {
      if (c.peerRealmId === realmId) {
        c.log.warn({ why }, "closing realm-to-realm connection");
        c.close(why);
      }
    }
  }

  /** Whether this realm federates through a management link here (its keys must be published there). */
  servesRealm(realmId: string): boolean {
    return this.links.has(realmId);
  }

  /**
   * Key rotation, crash-safe: the new key pair is committed locally as pending first, then
   * published (proved by the new key, vouched for by the current ones). Only when the management
   * server took it does it become current here; the older keys stay valid for the overlap window
   * the management server set, and this realm signs with all of them until then. A crash or an
   * unreachable management server leaves the key pending: the next approved connection publishes
   * it. The TLS certificate switches when the listeners reload. Returns the new key's fingerprint.
   */
  async rotateKey(realmId: string): Promise<string> {
    const realm = this.daemon.realmById(realmId);
    if (!realm || !this.links.has(realmId)) throw new Error(`realm ${realmId} is not served here`);
    const k = await generateRealmKey(realmId, realm.host);
    await storePendingKey(this.daemon.db.pool, k);
    this.log.info({ realm: realmId, fingerprint: k.fingerprint }, "new realm key stored; publishing it");
    const pause = Number(process.env.OPENGROOVE_TEST_PAUSE_BEFORE_PUBLISH_MS ?? 0);
    if (pause > 0) await new Promise((r) => setTimeout(r, pause)); // tests: a crash window
    if (this.links.get(realmId)?.usable) await this.publishPending(realmId);
    return k.fingerprint;
  }

  /** Publishes every key of the realm still pending (after a crash or an outage). */
  async publishPending(realmId: string): Promise<number> {
    const pool = this.daemon.db.pool;
    const link = this.links.get(realmId);
    const pending = await loadPendingKeys(pool, realmId);
    if (!link || !pending.length) return 0;
    for (const k of pending) {
      const oldUntil = await link.publishKey(k, await loadSigningKeys(pool, realmId));
      await markKeyPublished(pool, realmId, k.keyId, oldUntil);
      this.log.info({ realm: realmId, fingerprint: k.fingerprint, oldValidUntil: oldUntil }, "realm key rotated");
    }
    await notify(pool, CHANNELS.realm, realmId);
    return pending.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const l of this.links.values()) l.close();
    this.recipients.stop();
    await this.outbox.stop();
    for (const c of [...this.peers]) c.close("shutdown");
  }
}
