// Per-IP signup throttle: a fixed window counter per client address in rate_limit_buckets, so
// the limit holds across web processes. One atomic upsert per attempt: it opens a new window
// when the old one has ended, otherwise adds one, and reports the count.
import type pg from "pg";
import { z } from "zod";
import { DomainError } from "./errors.ts";

export interface ThrottleSettings {
  /** Attempts allowed per window per address. */
  limit: number;
  windowSeconds: number;
}

const schema = z.object({
  limit: z.coerce.number().int().min(1).max(100_000).default(5),
  windowMinutes: z.coerce.number().int().min(1).max(24 * 60).default(30),
});

/** OPENGROOVE_SIGNUP_LIMIT (default 5) attempts per OPENGROOVE_SIGNUP_WINDOW_MINUTES (default 30). */
export function throttleSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ThrottleSettings {
  const s = schema.parse({ limit: env.OPENGROOVE_SIGNUP_LIMIT || undefined, windowMinutes: env.OPENGROOVE_SIGNUP_WINDOW_MINUTES || undefined });
  return { limit: s.limit, windowSeconds: s.windowMinutes * 60 };
}

/** IPv4 as is; IPv6 by its /64 (one host usually holds a whole /64). */
export function throttleKeyForIp(ip: string): string {
  const a = ip.trim().toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  if (!a.includes(":")) return `signup-ip:${a || "unknown"}`;
  const [head] = a.split("%");
  const parts = head.split("::");
  const left = parts[0] ? parts[0].split(":") : [];
  const right = parts.length > 1 && parts[1] ? parts[1].split(":") : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `signup-ip:${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

export interface ThrottleResult {
  allowed: boolean;
  count: number;
  /** When the current window ends. */
  resetAt: Date;
}

/** Counts one signup attempt from `ip`; `allowed` is false once the limit is exceeded. */
export async function takeSignupAttempt(pool: pg.Pool, ip: string, settings: ThrottleSettings = throttleSettingsFromEnv()): Promise<ThrottleResult> {
  // Times are UTC wall-clock (as Prisma stores TIMESTAMP(3) columns), whatever the session zone.
  const r = await pool.query<{ count: number; resetInSeconds: number }>(
    `INSERT INTO rate_limit_buckets AS b (key, "windowStart", count) VALUES ($1, timezone('UTC', now()), 1)
     ON CONFLICT (key) DO UPDATE SET
       "windowStart" = CASE WHEN b."windowStart" <= timezone('UTC', now()) - $2 * interval '1 second' THEN timezone('UTC', now()) ELSE b."windowStart" END,
       count = CASE WHEN b."windowStart" <= timezone('UTC', now()) - $2 * interval '1 second' THEN 1 ELSE b.count + 1 END
     RETURNING count, ceil(extract(epoch FROM "windowStart" + $2 * interval '1 second' - timezone('UTC', now())))::int AS "resetInSeconds"`,
    [throttleKeyForIp(ip), settings.windowSeconds],
  );
  const row = r.rows[0];
  return { allowed: row.count <= settings.limit, count: row.count, resetAt: new Date(Date.now() + Math.max(0, row.resetInSeconds) * 1000) };
}

/** Throws RATELIMITED with when to try again, or returns when the attempt may go ahead. */
export async function enforceSignupThrottle(pool: pg.Pool, ip: string, settings?: ThrottleSettings): Promise<void> {
  const r = await takeSignupAttempt(pool, ip, settings);
  if (r.allowed) return;
  const minutes = Math.max(1, Math.ceil((r.resetAt.getTime() - Date.now()) / 60_000));
  throw new DomainError(
    "RATELIMITED",
    `Too many signup attempts from your network. Wait ${minutes} minute${minutes === 1 ? "" : "s"} and try again; if you share this network with others, ask the realm's operator for an account or an invite.`,
  );
}

/** Drops throttle windows that ended long ago. */
export async function pruneSignupThrottle(pool: pg.Pool, olderThanSeconds = 86_400): Promise<number> {
  const r = await pool.query(`DELETE FROM rate_limit_buckets WHERE key LIKE 'signup-ip:%' AND "windowStart" < timezone('UTC', now()) - $1 * interval '1 second'`, [olderThanSeconds]);
  return r.rowCount ?? 0;
}
