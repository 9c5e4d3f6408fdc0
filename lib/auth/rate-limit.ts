// Fixed-window counters in rate_limit_buckets, so limits hold across restarts and across every
// web process on the same database. Each hit is one atomic upsert.
import type { PrismaClient } from "../generated/prisma/client.ts";

export interface RateRule {
  /** Failures allowed within one window. */
  limit: number;
  windowMs: number;
}

export interface RateState {
  count: number;
  /** When the current window ends. */
  resetAt: Date;
}

/** Current count for a key (0 when the window has passed). */
export async function peek(prisma: PrismaClient, key: string, rule: RateRule): Promise<RateState> {
  const row = await prisma.rateLimitBucket.findUnique({ where: { key } });
  const now = Date.now();
  if (!row || row.windowStart.getTime() + rule.windowMs <= now) return { count: 0, resetAt: new Date(now + rule.windowMs) };
  return { count: row.count, resetAt: new Date(row.windowStart.getTime() + rule.windowMs) };
}

export async function isLimited(prisma: PrismaClient, key: string, rule: RateRule): Promise<RateState | null> {
  const state = await peek(prisma, key, rule);
  return state.count >= rule.limit ? state : null;
}

/** Counts one event; starts a new window when the old one has passed. Returns the new count. */
export async function hit(prisma: PrismaClient, key: string, rule: RateRule): Promise<number> {
  const windowSecs = rule.windowMs / 1000;
  const rows = await prisma.$queryRaw<{ count: number }[]>`
    INSERT INTO rate_limit_buckets (key, "windowStart", count) VALUES (${key}, now(), 1)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN rate_limit_buckets."windowStart" <= now() - make_interval(secs => ${windowSecs}) THEN 1 ELSE rate_limit_buckets.count + 1 END,
      "windowStart" = CASE WHEN rate_limit_buckets."windowStart" <= now() - make_interval(secs => ${windowSecs}) THEN now() ELSE rate_limit_buckets."windowStart" END
    RETURNING count`;
  return rows[0].count;
}

export async function clear(prisma: PrismaClient, key: string): Promise<void> {
  await prisma.rateLimitBucket.deleteMany({ where: { key } });
}
