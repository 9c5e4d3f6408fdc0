// The realm daemon: serves every ACTIVE realm in the database on its port (TLS by default),
// plus an HTTP port with /healthz, /metrics and the WebSocket transport. Several instances may
// share one PostgreSQL: notifications travel through LISTEN/NOTIFY and no state that
// correctness depends on lives only in this process.
import crypto from "node:crypto";
import os from "node:os";
import type { Logger } from "pino";
import { connectDb, type DbHandle } from "../lib/db/client.ts";
import { CHANNELS } from "../lib/db/notify.ts";
import { encodeImmediateMessagePush } from "../lib/protocol/pushes.ts";
import { expireMessages, releaseStaleUnsent, type Delivery } from "../lib/domain/messages.ts";
import { MessageWriter } from "../lib/domain/message-writer.ts";
import { AccountExports } from "./account-exports.ts";
import { reconcileSessions } from "./revocation.ts";
import { pruneTables } from "../lib/domain/pruning.ts";
import { Admission } from "../lib/runtime/admission.ts";
import { softwareVersion } from "../lib/runtime/version.ts";
import { realmStorageFigures, type RealmStorageFigures } from "../lib/domain/quota.ts";
import { upgradeUsernameKeys } from "../lib/domain/username-keys.ts";
import {
  pruneImmediateMessages,
  takeImmediateMessage,
  type ImmediateNotice,
} from "../lib/domain/immediate-messages.ts";
import { sweepWorkspaces } from "../lib/domain/workspace-gc.ts";
import { endPresence } from "../lib/domain/presence.ts";
import {
  heartbeatInstance,
  markDraining,
  registerInstance,
  restorePresences,
  removeInstance,
  switchTargets,
  type InstanceRow,
} from "../lib/domain/instances.ts";
import { reportListenErrors } from "../lib/domain/listen-errors.ts";
import { routeWorkspaceNotification } from "./workspace-push.ts";
import { routeSubscriptionNotification } from "./subscription-push.ts";
import { routeChannelNotification } from "./channel-push.ts";
import { pruneChannelPackets } from "../lib/domain/channels.ts";
import { handleRotationRequest, type RotationRequest } from "./key-rotation.ts";
import { ok, fail, type Result } from "../lib/protocol/index.ts";
import { type RealmDaemonConfig } from "./config.ts";
import type { Connection } from "./connection.ts";
import { RealmListeners } from "./realm-listeners.ts";
import { Notifier } from "./notifier.ts";
import { HeartbeatConnection } from "./heartbeat-connection.ts";
import { createRealmMetrics, reportsClusterFigures, type RealmMetrics } from "./metrics.ts";
import { startHttp, type HttpHandle } from "./http-server.ts";
import type { RealmInfo } from "./state.ts";
import { Federation } from "./federation/federation.ts";

export class RealmDaemon {
  readonly instanceId = crypto.randomUUID();
  readonly connections = new Set<Connection>();
  readonly metrics: RealmMetrics;
  /** Per-address and global connection caps and the handshake deadline (lib/runtime/admission.ts). */
  readonly admission: Admission;
  /** Per-realm storage figures for /metrics, refreshed every metricsRefreshMs (never per scrape). */
  storageFigures: RealmStorageFigures[] = [];
  /** Whether the last heartbeat reported listen errors (so clearing them is written once). */
  private reportedListenErrors = false;
  readonly db: DbHandle;
  /** Group commit of postmessage and deletemessage across connections. */
  readonly messages: MessageWriter;
  readonly exports: AccountExports;
  readonly listeners: RealmListeners;
  /** Realm-to-realm federation; present when a management server is configured. */
  readonly federation?: Federation;
  private realms = new Map<string, RealmInfo>();
  private notifier: Notifier;
  private http?: HttpHandle;
  private timers: NodeJS.Timeout[] = [];
  private imessageChain: Promise<void> = Promise.resolve();
  private subscriptionChain: Promise<void> = Promise.resolve();
  private channelChain: Promise<void> = Promise.resolve();
  private reloading?: Promise<void>;
  private reloadAgain = false;
  private stopping?: Promise<void>;
  /** Set when a graceful stop begins: /readyz answers 503, new connections are refused. */
  draining = false;
  /** Set once the stop removed this instance's row: nothing may put it back (see reRegister). */
  private deregistered = false;
  private reRegistering?: Promise<boolean>;
  private heartbeatTimer?: NodeJS.Timeout;
  /** The heartbeat running now (one at a time; the stop waits for it before removing the row). */
  private beating?: Promise<void>;
  /** The heartbeat's own connection, outside the request pool (heartbeat-connection.ts). */
  private readonly beat: HeartbeatConnection;
  /**
   * An operator asked this instance to drain (console, read with the heartbeat). main.ts makes it
   * the same as SIGTERM (drain, exit 0); an instance run inside another process just stops.
   */
  onDrainRequest: () => void = () => void this.stop();
  private drainAsked = false;

  constructor(
    readonly config: RealmDaemonConfig,
    readonly log: Logger,
  ) {
    this.db = connectDb(config.databaseUrl, { max: 20, applicationName: "opengroove-realm" });
    this.beat = new HeartbeatConnection(config.databaseUrl, Math.max(config.limits.heartbeatMs * 2, 2_000));
    this.messages = new MessageWriter(this.db.pool, {
      origin: this.instanceId,
      onDelivered: (d) => this.pushMessages(d),
    });
    this.exports = new AccountExports(this.instanceId);
    this.metrics = createRealmMetrics(this);
    this.listeners = new RealmListeners(this);
    // One admission for every listener of this daemon (realm ports and the HTTP/WebSocket port).
    this.admission = new Admission(
      () => this.config.limits,
      (reason) =>
        this.metrics.errors.inc(1, {
          command: reason === "handshake-timeout" ? "handshake-timeout" : "connection-limit",
        }),
    );
    this.notifier = new Notifier(
      config.databaseUrl,
      log,
      (ch, p) => this.onNotification(ch, p),
      // Notifications sent while the listener was down are lost: reload and reconcile.
      () => {
        void this.reloadRealms();
        void this.reconcileAll("listener reconnected").catch((e: unknown) =>
          this.log.warn({ err: e }, "session reconciliation failed"),
        );
      },
    );
    if (config.federation) this.federation = new Federation(this, config.federation);
  }

  async start(): Promise<string[]> {
    await registerInstance(this.db.pool, this.instanceRow());
    await upgradeUsernameKeys(this.db.pool, this.log);
    await this.notifier.start();
    await this.reloadRealms();
    this.http = await startHttp(this);
    // Now the ports are known: advertise them (switchserver targets, console).
    await registerInstance(this.db.pool, this.instanceRow());
    await this.federation?.start();
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void fn().catch((e) => this.log.warn({ err: e }, "periodic task failed")), ms);
      t.unref();
      this.timers.push(t);
    };
    // The heartbeat keeps running during a drain (until the row is removed), so that peers do
    // not reap a draining instance whose sessions are still finishing their requests.
    this.heartbeatTimer = setInterval(() => {
      if (this.beating) return;
      this.beating = this.heartbeat()
        .catch((e: unknown) => this.log.warn({ err: e }, "heartbeat failed"))
        .finally(() => (this.beating = undefined));
    }, this.config.limits.heartbeatMs);
    this.heartbeatTimer.unref();
    every(this.config.limits.retentionSweepMs, () => expireMessages(this.db.pool));
    every(this.config.limits.retentionSweepMs, () => pruneTables(this.db.pool));
    every(this.config.limits.metricsRefreshMs, () => this.refreshStorageFigures());
    void this.refreshStorageFigures().catch((e: unknown) => this.log.warn({ err: e }, "storage figures failed"));
    every(this.config.limits.retentionSweepMs, () =>
      releaseStaleUnsent(this.db.pool, this.config.limits.unsentMaxAgeMs),
    );
    every(30_000, () => pruneImmediateMessages(this.db.pool));
    every(30_000, () => pruneChannelPackets(this.db.pool));
    every(60_000, () => this.exports.sweep());
    every(this.config.limits.reconcileIntervalMs, () => this.reconcileAll("periodic"));
    every(this.config.limits.workspaceSweepMs, () =>
      sweepWorkspaces(this.db.pool, {
        inactivityMs: this.config.limits.workspaceInactivityMs,
        uploadExpiryMs: this.config.limits.workspaceUploadExpiryMs,
      }),
    );
    return [...this.listeners.addresses, this.http.address];
  }

  private instanceRow(): InstanceRow {
    return {
      id: this.instanceId,
      kind: "realm",
      host: os.hostname(),
      pid: process.pid,
      addresses: this.advertisedAddresses(),
      httpAddress: this.http ? `${this.advertiseHost()}:${this.http.port}` : undefined,
      connections: this.connections.size,
      version: softwareVersion(),
      heartbeatMs: this.config.limits.heartbeatMs,
    };
  }

  private advertiseHost(): string {
    const bind = this.config.bindHost;
    return this.config.advertiseHost ?? (bind === "0.0.0.0" || bind === "::" ? os.hostname() : bind);
  }

  /** Realm id → "host:port" where a client reaches this instance directly (sent by peers in switchserver). */
  advertisedAddresses(): Record<string, string> {
    const out: Record<string, string> = {};
    const host = this.advertiseHost();
    const h = host.includes(":") ? `[${host}]` : host;
    for (const r of this.realms.values()) {
      const actual = this.listeners.actualPort(r.port);
      if (r.status !== "ACTIVE" || actual === undefined) continue;
      out[r.id] = `${h}:${this.config.advertisePorts?.get(r.port) ?? actual}`;
    }
    return out;
  }

  private async heartbeat(): Promise<void> {
    if (this.deregistered) return;
    // Instances that died without cleaning up are released as soon as one survivor sees them stale.
    const { dead, reinserted, drainRequested } = await heartbeatInstance(
      await this.beat.get(),
      this.instanceRow(),
      this.config.limits.presenceStaleMs,
    );
    if (drainRequested && !this.drainAsked && !this.stopping) {
      this.drainAsked = true;
      this.log.warn({ instance: this.instanceId }, "drain requested from the console; draining as on SIGTERM");
      this.onDrainRequest();
    }
    if (reinserted) await this.restorePresences("the heartbeat found this instance's row gone");
    // Busy realm ports, for the console (cleared once they are bound).
    const errors = [...this.listeners.listenErrors].map(([port, e]) => ({ port, ...e }));
    if (errors.length || this.reportedListenErrors) await reportListenErrors(this.db.pool, this.instanceId, errors);
    this.reportedListenErrors = errors.length > 0;
    if (dead.length) {
      this.log.warn({ instances: dead }, "released the presences of dead instances");
      // Their outbox leases are free from now on (claimTargets ignores a dead owner's lease): look
      // for that work at once rather than at the next outbox poll.
      this.federation?.outbox.kick();
    }
  }

  /**
   * A peer reaped this live instance's row (its heartbeat came late: a long pause, a saturated
   * pool): put the row back with the presences of the computers signed in here, which went with
   * it by cascade. Called by a login whose presence insert found the row gone. False once the
   * stop removed the row on purpose (the login then answers BUSY). Single-flight.
   */
  reRegister(why: string): Promise<boolean> {
    if (this.deregistered) return Promise.resolve(false);
    this.reRegistering ??= (async () => {
      try {
        await registerInstance(this.db.pool, this.instanceRow());
        await this.restorePresences(why);
        return !this.deregistered;
      } finally {
        this.reRegistering = undefined;
      }
    })();
    return this.reRegistering;
  }

  private async restorePresences(why: string): Promise<void> {
    const sessions = [...this.connections].flatMap((c) =>
      c.session?.computer && !c.session.channelId && !c.isClosed
        ? [{ connectionId: c.id, realmId: c.realm.id, userId: c.session.userId, computer: c.session.computer }]
        : [],
    );
    const restored = await restorePresences(this.db.pool, this.instanceId, sessions);
    this.log.warn(
      { instance: this.instanceId, restoredPresences: restored, staleMs: this.config.limits.presenceStaleMs },
      `${why} (reaped as stale by a peer while alive: heartbeat late); re-registered`,
    );
  }

  /** Readiness for a load balancer: database reachable, LISTEN connection up, not draining. */
  async readiness(): Promise<{ ready: boolean; reasons: string[] }> {
    const reasons: string[] = [];
    if (this.draining) reasons.push("draining");
    const [dbUp, listenUp] = await Promise.all([
      this.db.pool.query("SELECT 1").then(
        () => true,
        () => false,
      ),
      this.notifier.check(),
    ]);
    if (!dbUp) reasons.push("database unreachable");
    if (!listenUp) reasons.push("LISTEN connection down");
    return { ready: reasons.length === 0, reasons };
  }

  /** Loads realms from the database and reconciles listeners; coalesces bursts of changes. */
  reloadRealms(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        const r = await this.db.pool.query<RealmInfo>(
          `SELECT id, slug, name, description, host, port, "contactEmail", "contactUserId", "registrationMode", "captchaProvider", status, "maxComputersPerUser", "messageRetentionDays", "legacyTlsPort" FROM realms`,
        );
        const serve = this.config.serveRealms;
        const rows = serve ? r.rows.filter((x) => serve.includes(x.id)) : r.rows;
        this.realms = new Map(rows.map((x) => [x.id, x]));
        await this.listeners.reconcile(rows);
        // Sessions on realms that are now disabled or gone are closed.
        for (const c of this.connections) {
          const now = this.realms.get(c.realm.id);
          if (!now || now.status !== "ACTIVE") {
            c.notify("shutdown", "this realm is no longer served here");
            c.close("realm disabled");
          } else Object.assign(c.realm, now);
        }
      } while (this.reloadAgain);
    })().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /**
   * Recomputes the storage figures /metrics serves (one query, on a slow timer). Database-wide
   * figures are reported by one instance only (the oldest live one), so sums do not overcount.
   */
  async refreshStorageFigures(): Promise<void> {
    this.storageFigures = (await reportsClusterFigures(this)) ? await realmStorageFigures(this.db.pool) : [];
  }

  /** Port of the HTTP listener (/healthz, /metrics, /ws), once started. */
  get httpPort(): number | undefined {
    return this.http?.port;
  }

  listRealms(): RealmInfo[] {
    return [...this.realms.values()];
  }

  realmById(id: string): RealmInfo | undefined {
    return this.realms.get(id);
  }

  realmsOnPort(port: number): RealmInfo[] {
    return [...this.realms.values()].filter((r) => r.port === port && r.status === "ACTIVE");
  }

  /**
   * The realm of a one-realm port (legacy TLS): a bare greeting or one naming this realm is it;
   * realm-to-realm greetings are not served there (federation keeps the modern TLS profile).
   */
  resolveFixedRealm(realmId: string, words: string[]): Result<RealmInfo> {
    const r = this.realmById(realmId);
    if (!r || r.status !== "ACTIVE") return fail("NOSUCHREALM", "no realm is served on this port");
    if (words[0]?.toLowerCase() === "realm")
      return fail("NOTALLOWED", "realm-to-realm connections use the realm port, not the legacy TLS port");
    const want = words[0]?.toLowerCase();
    if (want && want !== r.slug && want !== r.id.toLowerCase())
      return fail("NOSUCHREALM", `no realm "${words[0]}" on this port`);
    return ok(r);
  }

  /** Picks the realm a greeting addresses: by its first word (slug) or the only realm on the port. */
  resolveRealm(port: number, words: string[]): Result<RealmInfo> {
    const candidates = this.realmsOnPort(port);
    if (words[0]?.toLowerCase() === "realm") {
      // "OpenGroove realm <connecting realm id> [<addressed realm>]" (docs/federation.md).
      if (!this.federation)
        return fail(
          "NOTALLOWED",
          "realm-to-realm connections are not enabled on this server (no management server configured)",
        );
      if (!words[1])
        return fail("BADGREETING", "a realm greets with: OpenGroove realm <its realm id> [<addressed realm>]");
      words = words.slice(2);
    }
    if (words.length) {
      const want = words[0].toLowerCase();
      const r = candidates.find((x) => x.slug === want || x.id.toLowerCase() === want);
      return r ? ok(r) : fail("NOSUCHREALM", `no realm "${words[0]}" on this port`);
    }
    if (candidates.length === 1) return ok(candidates[0]);
    if (candidates.length === 0) return fail("NOSUCHREALM", "no realm is served on this port");
    return fail(
      "NOSUCHREALM",
      `several realms share this port; greet with "OpenGroove <realm>" (one of ${candidates.map((c) => c.slug).join(", ")})`,
    );
  }

  private onNotification(channel: string, payload: string): void {
    try {
      if (channel === CHANNELS.realm) void this.reloadRealms();
      else if (channel === CHANNELS.message) {
        // One delivery, or a group-commit batch's deliveries ({origin, d: [...]}).
        const p = JSON.parse(payload) as (Delivery | { d: Delivery[] }) & { origin?: string };
        // This instance pushed its own batch's deliveries right after the commit.
        if (p.origin !== this.instanceId) this.pushMessages("d" in p ? p.d : [p]);
      } else if (channel === CHANNELS.workspace) {
        void routeWorkspaceNotification(this, payload).catch((e: unknown) =>
          this.log.warn({ err: e }, "workspace notification failed"),
        );
      } else if (channel === CHANNELS.subscription) {
        // Chained, so a subscriber hears a target's events in the order they were notified.
        this.subscriptionChain = this.subscriptionChain
          .then(() => routeSubscriptionNotification(this, payload))
          .catch((e: unknown) => this.log.warn({ err: e }, "subscription notification failed"));
      } else if (channel === CHANNELS.channel) {
        // Chained: packets reach each member in the order they were sent.
        this.channelChain = this.channelChain
          .then(() => routeChannelNotification(this, payload))
          .catch((e: unknown) => this.log.warn({ err: e }, "channel notification failed"));
      } else if (channel === CHANNELS.keyRotation) {
        void handleRotationRequest(this, JSON.parse(payload) as RotationRequest).catch((e: unknown) =>
          this.log.error({ err: e }, "key rotation failed"),
        );
      } else if (channel === CHANNELS.user) void this.refreshUser(payload);
      else if (channel === CHANNELS.imessage) this.deliverImmediate(JSON.parse(payload) as ImmediateNotice);
    } catch (e) {
      this.log.warn({ err: e, channel }, "bad notification");
    }
  }

  /** `messageavailable` to the computers of these deliveries connected here (one pass over the connections). */
  pushMessages(deliveries: Delivery[]): void {
    const byUser = new Map<string, Delivery[]>();
    for (const d of deliveries) byUser.set(d.userId, [...(byUser.get(d.userId) ?? []), d]);
    for (const c of this.connections) {
      const mine = c.session?.computer ? byUser.get(c.session.userId) : undefined;
      if (!mine) continue;
      for (const d of mine)
        if (d.computer === "" || d.computer === c.session!.computer) c.notify("messageavailable", d.messageId);
    }
  }

  /**
   * An immediate message for a computer: only the instance holding its connection reads the
   * body. Reads are chained so messages reach the recipient in the order they were notified.
   */
  private deliverImmediate(n: ImmediateNotice): void {
    const holders = () =>
      [...this.connections].filter((c) => c.session?.userId === n.userId && c.session.computer === n.computer);
    if (!holders().length) return;
    this.imessageChain = this.imessageChain
      .then(async () => {
        // Taken (marked delivered) before the push: the sender's OK means this instance had it.
        const m = await takeImmediateMessage(this.db.pool, n.id);
        if (!m) return;
        // The original server's layout: id SP sender SP computer SP text.
        const push = encodeImmediateMessagePush({
          id: n.id,
          from: m.fromUserId,
          fromComputer: m.fromComputer,
          text: m.body,
        });
        for (const c of holders()) c.notify("receiveimessage", push);
      })
      .catch((e: unknown) => this.log.warn({ err: e }, "immediate message delivery failed"));
  }

  /** A user was suspended, reset or changed in the console: drop sessions that are no longer valid. */
  private async refreshUser(userId: string): Promise<void> {
    await reconcileSessions(this.db.pool, this.connections, [userId]);
  }

  /** Every live session against the database (after the listener reconnects, and periodically). */
  async reconcileAll(why: string): Promise<void> {
    const ended = await reconcileSessions(this.db.pool, this.connections);
    if (ended) this.log.warn({ ended, why }, "sessions ended by reconciliation (a notification was missed)");
  }

  onConnectionClosed(c: Connection): void {
    if (c.session?.computer) void endPresence(this.db.pool, c.id).catch(() => undefined);
  }

  /**
   * Graceful drain, bounded by shutdownGraceMs: stop accepting, report draining, push
   * `shutdown` to every client, finish the requests already received, then remove this
   * instance's row and presences and close. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  /** Marks this instance draining (no longer a target) and reads the live peers' addresses per realm. */
  private async moveTargets(): Promise<Map<string, string[]> | undefined> {
    try {
      await markDraining(this.db.pool, this.instanceId);
      const realms = [...new Set([...this.connections].map((c) => c.realm.id))];
      return await switchTargets(this.db.pool, this.instanceId, realms, this.config.limits.presenceStaleMs);
    } catch (e) {
      this.log.warn({ err: e }, "could not read the peers to switch clients to; sending shutdown");
      return undefined;
    }
  }

  private async drain(): Promise<void> {
    const grace = this.config.limits.shutdownGraceMs;
    const deadline = Date.now() + grace;
    // Sessions get the grace time less a reserve in which the requests cut off finish running.
    const cutoff = deadline - Math.min(1_000, grace / 4);
    const untilDeadline = <T>(p: Promise<T>, at = deadline): Promise<T | undefined> => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        p,
        new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), Math.max(0, at - Date.now())))),
      ]).finally(() => clearTimeout(timer));
    };
    this.draining = true;
    for (const t of this.timers) clearInterval(t);
    // Stops accepting now; resolves once the listeners' sockets are all gone.
    const listenersClosed = this.listeners.close();
    await untilDeadline(this.federation?.stop() ?? Promise.resolve());
    const targets = await untilDeadline(this.moveTargets());
    let turn = 0;
    const sessions = [...this.connections].map((c) => {
      // A live peer serving this realm: the client continues there (switchserver, spread over
      // the peers); otherwise it reconnects through the balancer (shutdown).
      const peers = c.transport.kind === "ws" ? undefined : targets?.get(c.realm.id);
      if (!peers?.length) {
        c.notify("shutdown", "the realm server is shutting down; reconnect");
        return c.closeWhenIdle("shutdown");
      }
      c.notify("switchserver", peers[turn++ % peers.length]);
      return c.closeWhenIdle("switchserver", { waitForPeer: true });
    });
    await untilDeadline(Promise.all(sessions), cutoff);
    // Past the grace time: whatever is still running is cut off (its client gets no reply; a
    // command that fails because of the stop answers BUSY, see ProtocolSession.execute).
    const cut = [...this.connections];
    for (const c of cut) c.close("shutdown");
    await untilDeadline(listenersClosed);
    // The commands already running finish before the row goes and the pool ends (bounded: the
    // pool's own statement timeout ends a stuck one), so none of them hits a missing instance
    // row or an ended pool.
    await untilDeadline(Promise.all(cut.map((c) => c.idle())));
    this.deregistered = true;
    clearInterval(this.heartbeatTimer);
    // A heartbeat or re-registration already running would put the row back after the delete.
    await this.beating;
    await this.reRegistering?.catch(() => undefined);
    await removeInstance(this.db.pool, this.instanceId).catch((e: unknown) =>
      this.log.warn({ err: e }, "could not remove the instance row"),
    );
    await this.beat.close();
    await this.http?.close();
    await this.exports.close();
    await this.notifier.stop();
    await this.db.close();
  }
}
