// Tables that only grow unless pruned: rate-limit buckets (one row per key ever limited: every
// address, account and sender pair), federation outbox rows already delivered, and the per-peer
// rows of realms this one stopped talking to long ago (federation_targets, federation_peers). The realm
// daemon runs pruneTables with its retention sweep; each delete is batched so one run never
// holds locks for long, and the next run continues.
import type pg from "pg";

export const PRUNE_DEFAULTS = {
  /** Longer than any rate-limit window in use (the longest is 30 minutes): the row means nothing after. */
  rateLimitBucketAgeMs: 24 * 3_600_000,
  /** Delivered outbox rows are kept a day for diagnosis (lastError, attempts), then deleted. */
  deliveredOutboxAgeMs: 24 * 3_600_000,
  /**
   * A target realm with nothing queued and nothing sent or failed for this long loses its
   * federation_targets row (the outbox recreates it with the next row); a peer realm no longer
   * approved, holding nothing here and with no target row, loses its cache entry.
   */
  idleTargetAgeMs: 7 * 24 * 3_600_000,
  batch: 5000,
} as const;

export interface PruneResult {
  rateLimitBuckets: number;
  deliveredOutbox: number;
  idleTargets: number;
  gonePeers: number;
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
  const targets = await pruneIdleTargets(pool, o.idleTargetAgeMs, o.batch);
  const peers = await pool.query(
    `DELETE FROM federation_peers p WHERE p."realmId" IN (
       SELECT q."realmId" FROM federation_peers q
        WHERE q.status <> 'APPROVED' AND q."bytesHeld" = 0
          AND NOT EXISTS (SELECT 1 FROM federation_targets t WHERE t."targetRealmId" = q."realmId")
          AND NOT EXISTS (SELECT 1 FROM federation_outbox o WHERE o."targetRealmId" = q."realmId"
                            AND o."deliveredAt" IS NULL AND o."failedAt" IS NULL)
          AND NOT EXISTS (SELECT 1 FROM workspaces w WHERE w."homeRealmId" = q."realmId")
        LIMIT $1)`,
    [o.batch],
  );
  return {
    rateLimitBuckets: buckets.rowCount ?? 0,
    deliveredOutbox: outbox.rowCount ?? 0,
    idleTargets: targets,
    gonePeers: peers.rowCount ?? 0,
  };
}

/**
 * Deletes federation_targets rows with nothing queued, not served (nextAttemptAt, set when a lease
 * ends), failed or given an outbox row within `ageMs`, and no live lease. The outbox's insert trigger recreates a row with ON CONFLICT
 * DO NOTHING, which takes no lock on the row it finds: so the outbox is locked against inserts
 * (SHARE mode, waiting at most 2 s, else this run skips) while the delete decides, and a row
 * being queued now is either seen here (the target stays) or inserted after (and recreates it).
 */
async function pruneIdleTargets(pool: pg.Pool, ageMs: number, batch: number): Promise<number> {
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    await c.query("SET LOCAL lock_timeout = '2s'");
    await c.query("LOCK TABLE federation_outbox IN SHARE MODE");
    const r = await c.query(
      `DELETE FROM federation_targets t WHERE (t."sourceRealmId", t."targetRealmId") IN (
         SELECT x."sourceRealmId", x."targetRealmId" FROM federation_targets x
          WHERE (x."leaseUntil" IS NULL OR x."leaseUntil" < now())
            AND x."nextAttemptAt" < now() - $1 * interval '1 millisecond'
            AND COALESCE(x."lastFailureAt", '-infinity') < now() - $1 * interval '1 millisecond'
            AND NOT EXISTS (SELECT 1 FROM federation_outbox o
                             WHERE o."sourceRealmId" = x."sourceRealmId" AND o."targetRealmId" = x."targetRealmId"
                               AND ((o."deliveredAt" IS NULL AND o."failedAt" IS NULL)
                                    OR o."createdAt" > now() - $1 * interval '1 millisecond'))
          LIMIT $2)`,
      [ageMs, batch],
    );
    await c.query("COMMIT");
    return r.rowCount ?? 0;
  } catch (e) {
    await c.query("ROLLBACK").catch(() => undefined);
    // Inserts kept the outbox busy: the next sweep tries again.
    if ((e as { code?: string }).code === "55P03") return 0;
    throw e;
  } finally {
    c.release();
  }
}
