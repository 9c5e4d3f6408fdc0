// Fixed-window rate limits stored in PostgreSQL (rate_limit_buckets), so they hold across
// processes and daemon instances. One statement per hit: insert or bump, resetting the window
// when it has passed.
import type pg from "pg";

export interface RateLimitResult {
  allowed: boolean;
  count: number;
  /** Milliseconds until the window resets. */
  retryAfterMs: number;
}

export async function hitRateLimit(
  pool: pg.Pool | pg.PoolClient,
  key: string,
  limit: number,
  windowMs: number,
): Promise<RateLimitResult> {
  const r = await pool.query<{ count: number; windowStart: Date }>(
    `INSERT INTO rate_limit_buckets (key, "windowStart", count) VALUES ($1, now(), 1)
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN rate_limit_buckets."windowStart" < now() - $2 * interval '1 millisecond' THEN 1 ELSE rate_limit_buckets.count + 1 END,
       "windowStart" = CASE WHEN rate_limit_buckets."windowStart" < now() - $2 * interval '1 millisecond' THEN now() ELSE rate_limit_buckets."windowStart" END
     RETURNING count, "windowStart"`,
    [key, windowMs],
  );
  const row = r.rows[0];
  return {
    allowed: row.count <= limit,
    count: row.count,
    retryAfterMs: Math.max(0, row.windowStart.getTime() + windowMs - Date.now()),
  };
}

/** Current count without counting a hit (0 when the window has passed). */
export async function peekRateLimit(pool: pg.Pool, key: string, windowMs: number): Promise<number> {
  const r = await pool.query<{ count: number }>(
    `SELECT count FROM rate_limit_buckets WHERE key = $1 AND "windowStart" >= now() - $2 * interval '1 millisecond'`,
    [key, windowMs],
  );
  return r.rows[0]?.count ?? 0;
}

export async function resetRateLimit(pool: pg.Pool, key: string): Promise<void> {
  await pool.query(`DELETE FROM rate_limit_buckets WHERE key = $1`, [key]);
}
