// Tables that only grow unless pruned: rate-limit buckets (one row per key ever limited: every
// address, account and sender pair) and federation outbox rows already delivered. The realm
// daemon runs pruneTables with its retention sweep; each delete is batched so one run never
// holds locks for long, and the next run continues.
import type pg from "pg";

export const PRUNE_DEFAULTS = {
  /** Longer than any rate-limit window in use (the longest is 30 minutes): the row means nothing after. */
  rateLimitBucketAgeMs: 24 * 3_600_000,
  /** Delivered outbox rows are kept a day for diagnosis (lastError, attempts), then deleted. */
  deliveredOutboxAgeMs: 24 * 3_600_000,
  batch: 5000,
} as const;

export interface PruneResult {
  rateLimitBuckets: number;
  deliveredOutbox: number;
}

export async function pruneTables(pool: pg.Pool, opts: Partial<typeof PRUNE_DEFAULTS> = {}): Promise<PruneResult> {
  const o = { ...PRUNE_DEFAULTS, ...opts };
  const buckets = await pool.query(
    `DELETE FROM rate_limit_buckets WHERE key IN (
       SELECT key FROM rate_limit_buckets WHERE "windowStart" < now() - $1 * interval '1 millisecond' LIMIT $2)`,
    [o.rateLimitBucketAgeMs, o.batch],
  );
  const outbox = await pool.query(
    `DELETE FROM federation_outbox WHERE id IN (
       SELECT id FROM federation_outbox WHERE "deliveredAt" < now() - $1 * interval '1 millisecond' LIMIT $2)`,
    [o.deliveredOutboxAgeMs, o.batch],
  );
  return { rateLimitBuckets: buckets.rowCount ?? 0, deliveredOutbox: outbox.rowCount ?? 0 };
}
