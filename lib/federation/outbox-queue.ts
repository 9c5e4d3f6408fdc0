// The outbox's order and retry state, kept in the database so every daemon instance follows the
// same rules (docs/federation.md §4b):
// * federation_targets has one row per (sending realm, target realm): the connection's backoff
//   (one per peer, not per row) and a lease, so one instance at a time delivers to a target.
//   A lease whose holder's daemon_instances row is gone or stale is free at once.
// * Rows of one target are sent in id order within their stream (the workspace for workspace
//   events, '' for messages); streams take turns, so a burst in one stream never starves another.
//   A row whose own retry time (nextAttemptAt) is in the future holds only its stream: it and every
//   later row of that stream wait, the other streams go on.
import type pg from "pg";
import type { OutboxRow } from "./outbox-store.ts";

export interface TargetLease {
  sourceRealmId: string;
  targetRealmId: string;
  failures: number;
}

/**
 * Leases up to `max` targets that have rows to send, are past their backoff and are not leased by
 * a live instance. `served`: the sending realms this instance serves (null: all).
 */
export async function claimTargets(
  pool: pg.Pool,
  opts: { owner: string; served: string[] | null; leaseMs: number; instanceStaleMs: number; max: number },
): Promise<TargetLease[]> {
  const r = await pool.query<TargetLease>(
    `WITH cand AS (
       SELECT t."sourceRealmId", t."targetRealmId" FROM federation_targets t
        WHERE t."nextAttemptAt" <= now()
          AND ($2::text[] IS NULL OR t."sourceRealmId" = ANY($2))
          AND (t."leaseUntil" IS NULL OR t."leaseUntil" < now()
               OR NOT EXISTS (SELECT 1 FROM daemon_instances d WHERE d.id = t."leaseOwner"
                                AND d."heartbeatAt" > now() - $4 * interval '1 millisecond'))
          AND EXISTS (SELECT 1 FROM federation_outbox o
                       WHERE o."sourceRealmId" = t."sourceRealmId" AND o."targetRealmId" = t."targetRealmId"
                         AND o."deliveredAt" IS NULL AND o."failedAt" IS NULL AND o."nextAttemptAt" <= now())
        ORDER BY t."nextAttemptAt" LIMIT $5 FOR UPDATE OF t SKIP LOCKED)
     UPDATE federation_targets t SET "leaseOwner" = $1, "leaseUntil" = now() + $3 * interval '1 millisecond'
       FROM cand WHERE t."sourceRealmId" = cand."sourceRealmId" AND t."targetRealmId" = cand."targetRealmId"
     RETURNING t."sourceRealmId", t."targetRealmId", t.failures`,
    [opts.owner, opts.served, opts.leaseMs, opts.instanceStaleMs, opts.max],
  );
  return r.rows;
}

/** Extends a lease this instance holds; false when it lost it (it must stop sending to that target). */
export async function renewLease(pool: pg.Pool, t: TargetLease, owner: string, leaseMs: number): Promise<boolean> {
  const r = await pool.query(
    `UPDATE federation_targets SET "leaseUntil" = now() + $4 * interval '1 millisecond'
      WHERE "sourceRealmId" = $1 AND "targetRealmId" = $2 AND "leaseOwner" = $3`,
    [t.sourceRealmId, t.targetRealmId, owner, leaseMs],
  );
  return (r.rowCount ?? 0) > 0;
}

/**
 * Ends a lease; `ok`: the target answered (its backoff is cleared). nextAttemptAt becomes now: the
 * target was due anyway, and it records when it was last served (the sweep prunes targets idle
 * for long, lib/domain/pruning.ts).
 */
export async function releaseTarget(pool: pg.Pool, t: TargetLease, owner: string, ok: boolean): Promise<void> {
  await pool.query(
    `UPDATE federation_targets SET "leaseOwner" = NULL, "leaseUntil" = NULL, "nextAttemptAt" = now(),
            failures = CASE WHEN $4 THEN 0 ELSE failures END, "lastError" = CASE WHEN $4 THEN NULL ELSE "lastError" END
      WHERE "sourceRealmId" = $1 AND "targetRealmId" = $2 AND "leaseOwner" = $3`,
    [t.sourceRealmId, t.targetRealmId, owner, ok],
  );
}

/** The target could not be reached: one backoff for the whole connection; the lease ends. Returns the failure count. */
export async function targetFailed(
  pool: pg.Pool,
  t: TargetLease,
  owner: string,
  delayMs: number,
  error: string,
): Promise<number> {
  const r = await pool.query<{ failures: number }>(
    `UPDATE federation_targets SET failures = failures + 1, "nextAttemptAt" = now() + $4 * interval '1 millisecond',
            "lastError" = $5, "lastFailureAt" = now(), "leaseOwner" = NULL, "leaseUntil" = NULL
      WHERE "sourceRealmId" = $1 AND "targetRealmId" = $2 AND "leaseOwner" = $3 RETURNING failures`,
    [t.sourceRealmId, t.targetRealmId, owner, delayMs, error.slice(0, 1000)],
  );
  return r.rows[0]?.failures ?? t.failures + 1;
}

/**
 * The next rows to send to a target, in order: at most `perStream` of each stream (streams take
 * turns: every stream's first row, then every stream's second...), never past a held row.
 */
export async function nextRows(
  pool: pg.Pool,
  t: TargetLease,
  limit: number,
  perStream: number,
  includeHeld = false,
): Promise<OutboxRow[]> {
  const r = await pool.query<{
    id: bigint;
    kind: string;
    messageId: bigint | null;
    targetRealmId: string;
    attempts: number;
    workspaceId: string | null;
    memberId: string | null;
    seq: bigint | null;
    stream: string;
  }>(
    `SELECT id, kind, "messageId", "targetRealmId", attempts, "workspaceId", "memberId", seq, stream FROM (
       SELECT o.*, row_number() OVER w AS rn, bool_or(o."nextAttemptAt" > now()) OVER w AS held
         FROM federation_outbox o
        WHERE o."sourceRealmId" = $1 AND o."targetRealmId" = $2 AND o."deliveredAt" IS NULL AND o."failedAt" IS NULL
       WINDOW w AS (PARTITION BY o.stream ORDER BY o.id)) x
      WHERE ($5 OR NOT held) AND rn <= $4
      ORDER BY rn, id LIMIT $3`,
    [t.sourceRealmId, t.targetRealmId, limit, perStream, includeHeld],
  );
  return r.rows.map((x) => ({
    id: x.id,
    kind: x.kind,
    messageDbId: x.messageId === null ? 0n : BigInt(x.messageId),
    targetRealmId: x.targetRealmId,
    attempts: x.attempts,
    workspaceId: x.workspaceId,
    memberId: x.memberId,
    seq: x.seq === null ? null : BigInt(x.seq),
    stream: x.stream,
  }));
}

/** Counts an attempt of a row (before it is sent); returns the new count. */
export async function countAttempt(pool: pg.Pool, row: OutboxRow): Promise<number> {
  const r = await pool.query<{ attempts: number }>(
    `UPDATE federation_outbox SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts`,
    [row.id],
  );
  return r.rows[0]?.attempts ?? row.attempts + 1;
}

/** Holds the row's stream (this row and every later one of its stream) for `delayMs`. */
export async function holdStream(pool: pg.Pool, row: OutboxRow, delayMs: number, error: string): Promise<void> {
  await pool.query(
    `UPDATE federation_outbox SET "nextAttemptAt" = now() + $2 * interval '1 millisecond', "lastError" = $3 WHERE id = $1`,
    [row.id, delayMs, error.slice(0, 1000)],
  );
}

/**
 * A peer showed it is back (it connected to us, or its registry entry changed): it is tried at
 * once, held streams included. The failure count stays until a delivery succeeds, so a false
 * alarm costs one attempt and the backoff goes on growing.
 */
export async function peerBack(pool: pg.Pool, targetRealmId: string): Promise<boolean> {
  const t = await pool.query(
    `UPDATE federation_targets SET "nextAttemptAt" = now() WHERE "targetRealmId" = $1 AND "nextAttemptAt" > now()`,
    [targetRealmId],
  );
  const o = await pool.query(
    `UPDATE federation_outbox SET "nextAttemptAt" = now()
      WHERE "targetRealmId" = $1 AND "deliveredAt" IS NULL AND "failedAt" IS NULL AND "nextAttemptAt" > now()`,
    [targetRealmId],
  );
  return (t.rowCount ?? 0) + (o.rowCount ?? 0) > 0;
}

/** Every row still queued for a target, in order (given up on after too many failed connections). */
export async function pendingRows(pool: pg.Pool, t: TargetLease): Promise<OutboxRow[]> {
  return nextRows(pool, t, 1_000_000, 1_000_000, true);
}

/** After giving up on a target's rows: new rows start with a fresh backoff. */
export async function resetFailures(pool: pg.Pool, t: TargetLease): Promise<void> {
  await pool.query(`UPDATE federation_targets SET failures = 0 WHERE "sourceRealmId" = $1 AND "targetRealmId" = $2`, [
    t.sourceRealmId,
    t.targetRealmId,
  ]);
}

/** Target realms that deliveries are waiting for (their connection failed). */
export async function waitingTargets(pool: pg.Pool): Promise<string[]> {
  const r = await pool.query<{ targetRealmId: string }>(
    `SELECT DISTINCT "targetRealmId" FROM federation_targets WHERE failures > 0`,
  );
  return r.rows.map((x) => x.targetRealmId);
}

/** Records why the row at the head of its queue could not be sent (its target is unreachable). */
export async function noteError(pool: pg.Pool, row: OutboxRow, error: string): Promise<void> {
  await pool.query(`UPDATE federation_outbox SET "lastError" = $2 WHERE id = $1`, [row.id, error.slice(0, 1000)]);
}
