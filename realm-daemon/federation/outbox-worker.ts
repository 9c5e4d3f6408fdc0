// Forwards queued messages to other realms. Every outboxPollMs it claims due rows (FOR UPDATE
// SKIP LOCKED with a lease, so several daemon instances never deliver the same row at once),
// groups them by target realm and delivers each group over one authenticated link. Success
// removes the remote recipients' entries (releasing the sender's bytes once nothing else holds
// the message); a permanent refusal bounces to the sender; anything else retries with
// exponential backoff and jitter.
import { LinkError } from "../../lib/federation/packet-client.ts";
import {
  claimDue,
  completeDelivery,
  discard,
  failDelivery,
  loadOutgoing,
  reschedule,
  type OutboxRow,
} from "../../lib/federation/outbox-store.ts";
import { DomainError } from "../../lib/domain/errors.ts";
import { failWorkspaceEvent } from "../../lib/federation/workspace-outbox.ts";
import { OutboundLink, PermanentRefusal } from "./outbound.ts";
import { deliverWorkspaceEvent } from "./workspace-delivery.ts";
import type { Federation } from "./federation.ts";

export class OutboxWorker {
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private stopped = false;
  /** Targets with a delivery group in flight (not claimed again until it ends). */
  private busy = new Set<string>();
  private links = new Map<string, OutboundLink>();
  private running = new Set<Promise<void>>();

  constructor(private readonly fed: Federation) {}

  start(): void {
    const every = this.fed.config.limits.outboxPollMs;
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
  }

  backoffMs(attempts: number): number {
    const l = this.fed.config.limits;
    const base = Math.min(l.retryBaseMs * 2 ** Math.min(attempts - 1, 30), l.retryMaxMs);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const l = this.fed.config.limits;
      const rows = await claimDue(this.fed.daemon.db.pool, l.outboxBatch, l.outboxLeaseMs, [...this.busy]);
      const groups = new Map<string, OutboxRow[]>();
      for (const r of rows) groups.set(r.targetRealmId, [...(groups.get(r.targetRealmId) ?? []), r]);
      for (const [target, list] of groups) {
        this.busy.add(target);
        const p = this.deliverGroup(target, list).finally(() => {
          this.busy.delete(target);
          this.running.delete(p);
        });
        this.running.add(p);
      }
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
    const have = this.links.get(key);
    if (have && !have.closed) {
      try {
        await OutboundLink.trusted(this.fed, target);
      } catch (e) {
        this.dropLinks(target);
        throw e;
      }
      return have;
    }
    const link = await OutboundLink.open(this.fed, localRealmId, target);
    this.links.set(key, link);
    return link;
  }

  private async deliverGroup(target: string, rows: OutboxRow[]): Promise<void> {
    const pool = this.fed.daemon.db.pool;
    const log = this.fed.log.child({ target });
    for (const row of rows) {
      if (this.stopped) return;
      try {
        if (row.kind !== "message") {
          await deliverWorkspaceEvent(this.fed, (local) => this.link(local, target), row);
          continue;
        }
        const m = await loadOutgoing(pool, row.messageDbId, target);
        if (!m) {
          await discard(pool, row);
          continue;
        }
        if (!m.recipients.length) {
          await completeDelivery(pool, row, []);
          continue;
        }
        const link = await this.link(m.realmId, target);
        const refused = await link.deliver(m, row.messageDbId);
        await completeDelivery(pool, row, refused);
        log.debug({ messageId: m.messageId, refused: refused.length }, "message forwarded");
      } catch (e) {
        await this.failed(row, e).catch((err: unknown) => log.warn({ err }, "could not record a delivery failure"));
        if (!(e instanceof PermanentRefusal) || row.kind === "ws-change") {
          // The peer is unreachable or unhappy: the rest of this group waits for its own retry time.
          for (const rest of rows.slice(rows.indexOf(row) + 1))
            await reschedule(pool, rest, this.backoffMs(rest.attempts), `not attempted: ${(e as Error).message}`).catch(
              () => undefined,
            );
          return;
        }
      }
    }
  }

  private async failed(row: OutboxRow, e: unknown): Promise<void> {
    const pool = this.fed.daemon.db.pool;
    const log = this.fed.log.child({ target: row.targetRealmId, outbox: row.id.toString(), attempts: row.attempts });
    // A workspace change over the target's allowance waits until its members there caught up.
    const waits = row.kind === "ws-change" && e instanceof PermanentRefusal && e.status === "QUOTAEXCEEDED";
    if (e instanceof PermanentRefusal && !waits && row.kind !== "message") {
      log.warn({ kind: row.kind, status: e.status, reason: e.reason }, "realm refused a workspace event");
      return failWorkspaceEvent(pool, row, e.status, e.reason);
    }
    if (e instanceof PermanentRefusal && !waits) {
      log.warn({ status: e.status, reason: e.reason }, "realm refused a message; bouncing to the sender");
      return failDelivery(pool, row, e.status, e.reason);
    }
    const msg =
      e instanceof LinkError || e instanceof DomainError || e instanceof PermanentRefusal
        ? e.message
        : e instanceof Error
          ? `${e.name}: ${e.message}`
          : String(e);
    if (!(e instanceof LinkError) && !(e instanceof DomainError) && !(e instanceof PermanentRefusal))
      log.error({ err: e }, "delivery failed unexpectedly");
    if (row.attempts >= this.fed.config.limits.maxAttempts) {
      log.warn({ reason: msg }, "giving up on a message after the maximum number of attempts");
      if (row.kind !== "message")
        return failWorkspaceEvent(
          pool,
          row,
          "TIMEOUT",
          `realm ${row.targetRealmId} could not be reached after ${row.attempts} attempts (${msg})`,
        );
      return failDelivery(
        pool,
        row,
        "TIMEOUT",
        `realm ${row.targetRealmId} could not be reached after ${row.attempts} attempts (${msg})`,
      );
    }
    for (const [key, link] of this.links) if (link.targetRealmId === row.targetRealmId && key) link.close();
    const delay = this.backoffMs(row.attempts);
    log.info({ reason: msg, retryInMs: delay }, "delivery failed; will retry");
    await reschedule(pool, row, delay, msg);
  }

  /** Drops open links to a realm (it was revoked or its keys changed). */
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
