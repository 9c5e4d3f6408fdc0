// Forwards queued messages and workspace events to other realms (docs/federation.md §4b). Every
// outboxPollMs (and at once when a peer comes back) it leases targets in the database
// (federation_targets: one instance at a time per sending realm and target realm) and drains
// each over one authenticated link: rows in order per stream, streams taking turns.
// * The peer cannot be reached: one backoff for the whole connection (not per row); nothing else
//   of that target is tried until it ends or the peer shows it is back.
// * The peer refuses one row for good: the row is closed (a message bounces to its sender).
// * The peer answers "not now" for one row (a change before its predecessor, its allowance is
//   full, any other error reply): only that row's stream waits, with its own backoff.
import { LinkError } from "../../lib/federation/packet-client.ts";
import {
  completeDelivery,
  discard,
  failDelivery,
  loadOutgoing,
  type OutboxRow,
} from "../../lib/federation/outbox-store.ts";
import {
  claimTargets,
  holdStream,
  noteError,
  nextRows,
  pendingRows,
  releaseTarget,
  renewLease,
  resetFailures,
  targetFailed,
  type TargetLease,
} from "../../lib/federation/outbox-queue.ts";
import { DomainError } from "../../lib/domain/errors.ts";
import { failWorkspaceEvent } from "../../lib/federation/workspace-outbox.ts";
import { OutboundLink, PermanentRefusal, ReplyError } from "./outbound.ts";
import { deliverWorkspaceEvent } from "./workspace-delivery.ts";
import { countAttempts } from "../../lib/federation/workspace-change-batch.ts";
import { OutboxPacer } from "./outbox-pacer.ts";
import { sendStream, type Outcome, type StreamSender } from "./outbox-pipeline.ts";
import type { Federation } from "./federation.ts";

/** The target could not be reached (connect, handshake, trust lookup, a dropped link). */
export class PeerDown extends Error {
  constructor(readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "PeerDown";
  }
}

export const errorText = (e: unknown) =>
  e instanceof LinkError || e instanceof DomainError || e instanceof PermanentRefusal
    ? e.message
    : e instanceof Error
      ? `${e.name}: ${e.message}`
      : String(e);

export class OutboxWorker {
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private again = false;
  private stopped = false;
  /** Targets this instance holds a lease for (key source\0target). */
  private busy = new Set<string>();
  private links = new Map<string, OutboundLink>();
  /** When each open link's target was last checked against the registry cache. */
  private trustedAt = new Map<string, number>();
  private running = new Set<Promise<void>>();
  /** The window of pipelined requests to each peer (outbox-pacer.ts). */
  /** Peers without wschanges (older software): their changes go one by one until then. */
  private readonly unbatched = new Map<string, number>();
  private pacers = new Map<string, OutboxPacer>();
  /** The window of messages in flight to each peer (outbox-messages.ts), and peers without pipelining. */
  private messagePacers = new Map<string, OutboxPacer>();
  private readonly unpipelined = new Map<string, number>();
  /** When each peer last showed it is back (peerBack). */
  private backAt = new Map<string, number>();

  constructor(private readonly fed: Federation) {}

  start(): void {
    const every = this.fed.config.limits.outboxPollMs;
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
  }

  /**
   * A peer showed it is back: a delivery to it that fails after this moment (it was under way
   * with a stale address or a dead link) retries after retryBaseMs, not after its backoff.
   */
  peerBack(target: string): void {
    this.backAt.set(target, Date.now());
  }

  /** Looks for work now (a peer came back, rows were released). */
  kick(): void {
    void this.tick();
  }

  /** Exponential backoff with jitter, for the connection to a peer (n-th consecutive failure). */
  backoffMs(n: number): number {
    const l = this.fed.config.limits;
    const base = Math.min(l.retryBaseMs * 2 ** Math.min(Math.max(n, 1) - 1, 30), l.retryMaxMs);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  private get pool() {
    return this.fed.daemon.db.pool;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    try {
      const l = this.fed.config.limits;
      do {
        this.again = false;
        const slots = l.outboxTargets - this.busy.size;
        if (slots <= 0) break;
        const leases = await claimTargets(this.pool, {
          owner: this.fed.daemon.instanceId,
          served: this.fed.daemon.config.serveRealms ?? null,
          leaseMs: l.outboxLeaseMs,
          instanceStaleMs: this.fed.daemon.config.limits.presenceStaleMs,
          max: slots,
        });
        for (const t of leases) {
          const key = `${t.sourceRealmId}\u0000${t.targetRealmId}`;
          this.busy.add(key);
          const p = this.drain(t)
            .catch((err: unknown) => this.fed.log.warn({ err, target: t.targetRealmId }, "outbox delivery failed"))
            .finally(() => {
              this.busy.delete(key);
              this.running.delete(p);
            });
          this.running.add(p);
        }
      } while (this.again && !this.stopped);
      for (const [key, link] of this.links) {
        if (link.closed || Date.now() - link.lastUsed > l.linkIdleMs) {
          link.close();
          this.links.delete(key);
        }
      }
    } catch (e) {
      this.fed.log.warn({ err: e }, "outbox tick failed");
    } finally {
      this.ticking = false;
    }
  }

  private async link(localRealmId: string, target: string): Promise<OutboundLink> {
    const key = `${localRealmId}\u0000${target}`;
    try {
      const have = this.links.get(key);
      if (have && !have.closed) {
        // Revocation is checked at most once a second per link, not per row.
        if (Date.now() - (this.trustedAt.get(key) ?? 0) > 1000) {
          await OutboundLink.trusted(this.fed, target);
          this.trustedAt.set(key, Date.now());
        }
        return have;
      }
      const link = await OutboundLink.open(this.fed, localRealmId, target);
      this.links.set(key, link);
      this.trustedAt.set(key, Date.now());
      return link;
    } catch (e) {
      if (e instanceof PermanentRefusal) {
        this.dropLinks(target);
        throw e;
      }
      throw new PeerDown(e);
    }
  }

  /**
   * Sends a leased target's rows until none is due, the peer fails, or the lease is lost. Each
   * round reads up to outboxBatch rows (outboxPerStream per stream); the streams go at the same
   * time over the one link, each in its own order, and a run of small changes of one workspace is
   * pipelined (outbox-pipeline.ts): many changes per round trip, one reply per change.
   */
  private async drain(t: TargetLease): Promise<void> {
    const l = this.fed.config.limits;
    const owner = this.fed.daemon.instanceId;
    const log = this.fed.log.child({ source: t.sourceRealmId, target: t.targetRealmId });
    let answered = false;
    for (;;) {
      if (this.stopped) return releaseTarget(this.pool, t, owner, answered);
      const since = Date.now();
      const rows = await nextRows(this.pool, t, l.outboxBatch, l.outboxPerStream);
      if (!rows.length) return releaseTarget(this.pool, t, owner, answered);
      // Reach the peer first: an unreachable peer costs one connection attempt, not one per row.
      try {
        await this.link(t.sourceRealmId, t.targetRealmId);
      } catch (e) {
        if (e instanceof PeerDown) {
          await countAttempts(this.pool, [rows[0]]); // the head row was being sent: one more attempt
          return this.peerFailed(t, rows[0], errorText(e.cause), log, since);
        }
      }
      await countAttempts(this.pool, rows);
      const streams = new Map<string, OutboxRow[]>();
      for (const row of rows) streams.set(row.stream, [...(streams.get(row.stream) ?? []), row]);
      const outs = await inTurns([...streams.values()], l.outboxStreamsAtOnce, (s) => sendStream(this.sender, t, s));
      if (outs.some((o) => o.answered)) answered = true;
      const down = outs.find((o) => o.down)?.down;
      if (down) return this.peerFailed(t, down.row, down.reason, log, since);
      if (!(await renewLease(this.pool, t, owner, l.outboxLeaseMs))) return;
    }
  }

  /** What outbox-pipeline.ts needs of this worker. */
  private get sender(): StreamSender {
    return {
      fed: this.fed,
      stopped: () => this.stopped,
      link: (local, target) => this.link(local, target),
      deliverRow: (t, row) => this.deliverRow(t, row),
      unbatched: this.unbatched,
      unpipelined: this.unpipelined,
      messagePacer: (target) => {
        let p = this.messagePacers.get(target);
        if (!p) {
          const l = this.fed.config.limits;
          p = new OutboxPacer(l.requestTimeoutMs, Math.max(l.outboxMessageWindow, 1), l.outboxMessageWindow);
          this.messagePacers.set(target, p);
        }
        return p;
      },
      rowFailed: (row, e) => this.rowFailed(row, e),
      pacer: (target) => {
        let p = this.pacers.get(target);
        if (!p) {
          const l = this.fed.config.limits;
          p = new OutboxPacer(l.requestTimeoutMs, l.outboxWindow, 2);
          this.pacers.set(target, p);
        }
        return p;
      },
    };
  }

  private async peerFailed(
    t: TargetLease,
    row: OutboxRow,
    reason: string,
    log: typeof this.fed.log,
    since: number,
  ): Promise<void> {
    const l = this.fed.config.limits;
    this.dropLinks(t.targetRealmId);
    await noteError(this.pool, row, reason);
    // Announced back while this attempt was under way: try again soon, not after the backoff.
    const back = (this.backAt.get(t.targetRealmId) ?? 0) >= since;
    const delay = back ? l.retryBaseMs : this.backoffMs(t.failures + 1);
    const failures = await targetFailed(this.pool, t, this.fed.daemon.instanceId, delay, reason);
    log.info({ reason, failures, retryInMs: delay }, "realm unreachable; its deliveries wait");
    if (failures < l.maxAttempts) return;
    log.warn({ reason, failures }, "giving up on everything queued for a realm after the maximum number of attempts");
    const why = `realm ${t.targetRealmId} could not be reached after ${failures} attempts (${reason})`;
    for (const row of await pendingRows(this.pool, t)) await this.giveUp(row, "TIMEOUT", why);
    await resetFailures(this.pool, t);
  }

  private async giveUp(row: OutboxRow, status: string, reason: string): Promise<void> {
    if (row.kind === "message") await failDelivery(this.pool, row, status, reason);
    else await failWorkspaceEvent(this.pool, row, status, reason);
  }

  private async deliverRow(t: TargetLease, row: OutboxRow): Promise<Outcome> {
    const pool = this.pool;
    const target = t.targetRealmId;
    try {
      if (row.kind !== "message") {
        await deliverWorkspaceEvent(this.fed, (local) => this.link(local, target), row);
        return "done";
      }
      const m = await loadOutgoing(pool, row.messageDbId, target);
      if (!m) {
        await discard(pool, row);
        return "done";
      }
      if (!m.recipients.length) {
        await completeDelivery(pool, row, []);
        return "done";
      }
      const link = await this.link(m.realmId, target);
      const refused = await link.deliver(m, row.messageDbId);
      await completeDelivery(pool, row, refused);
      this.fed.log.debug({ messageId: m.messageId, refused: refused.length, target }, "message forwarded");
      return "done";
    } catch (e) {
      return this.rowFailed(row, e);
    }
  }

  private async rowFailed(row: OutboxRow, e: unknown): Promise<Outcome> {
    const pool = this.pool;
    const log = this.fed.log.child({ target: row.targetRealmId, outbox: row.id.toString(), attempts: row.attempts });
    if (e instanceof PeerDown) return { down: errorText(e.cause) };
    if (e instanceof LinkError && !(e instanceof ReplyError)) return { down: errorText(e) };
    // A workspace change over the target's allowance waits until its members there caught up.
    const waits = row.kind === "ws-change" && e instanceof PermanentRefusal && e.status === "QUOTAEXCEEDED";
    if (e instanceof PermanentRefusal && !waits) {
      if (row.kind !== "message") {
        log.warn({ kind: row.kind, status: e.status, reason: e.reason }, "realm refused a workspace event");
        await failWorkspaceEvent(pool, row, e.status, e.reason);
      } else {
        log.warn({ status: e.status, reason: e.reason }, "realm refused a message; bouncing to the sender");
        await failDelivery(pool, row, e.status, e.reason);
      }
      return "done";
    }
    const msg = errorText(e);
    if (!(e instanceof DomainError) && !(e instanceof PermanentRefusal) && !(e instanceof ReplyError))
      log.error({ err: e }, "delivery failed unexpectedly");
    if (row.attempts >= this.fed.config.limits.maxAttempts) {
      log.warn({ reason: msg }, "giving up on a row after the maximum number of attempts");
      await this.giveUp(
        row,
        "TIMEOUT",
        `realm ${row.targetRealmId} did not take it after ${row.attempts} attempts (${msg})`,
      );
      return "done";
    }
    // Only this stream waits; the others to the same realm go on.
    const delay = this.backoffMs(row.attempts);
    log.info({ reason: msg, stream: row.stream, retryInMs: delay }, "delivery refused for now; its stream waits");
    await holdStream(pool, row, delay, msg);
    return "held";
  }

  /** Drops open links to a realm (it was revoked, its keys changed, or it stopped answering). */
  dropLinks(target: string): void {
    for (const [key, link] of this.links) {
      if (link.targetRealmId === target) {
        link.close();
        this.links.delete(key);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.running]);
    for (const l of this.links.values()) l.close();
    this.links.clear();
  }
}

/** Runs `fn` over the items, at most `n` at a time; results in the items' order. */
async function inTurns<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      out[k] = await fn(items[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}
