// Per-IP signup throttle: a fixed-window counter per client address in rate_limit_buckets
// (lib/domain/rate-limit.ts), so the limit holds across web processes.
import type pg from "pg";
import { z } from "zod";
import { DomainError } from "./errors.ts";
import { hitRateLimit } from "./rate-limit.ts";

export interface ThrottleSettings {
  /** Attempts allowed per window per address. */
  limit: number;
  windowSeconds: number;
}

const schema = z.object({
  limit: z.coerce.number().int().min(1).max(100_000).default(5),
  windowMinutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
});

/** OPENGROOVE_SIGNUP_LIMIT (default 5) attempts per OPENGROOVE_SIGNUP_WINDOW_MINUTES (default 30). */
export function throttleSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ThrottleSettings {
  const s = schema.parse({
    limit: env.OPENGROOVE_SIGNUP_LIMIT || undefined,
    windowMinutes: env.OPENGROOVE_SIGNUP_WINDOW_MINUTES || undefined,
  });
  return { limit: s.limit, windowSeconds: s.windowMinutes * 60 };
}

/** IPv4 as is; IPv6 by its /64 (one host usually holds a whole /64). */
export function throttleKeyForIp(ip: string): string {
  const a = ip
    .trim()
    .toLowerCase()
    .replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  if (!a.includes(":")) return `signup-ip:${a || "unknown"}`;
  const [head] = a.split("%");
  const parts = head.split("::");
  const left = parts[0] ? parts[0].split(":") : [];
  const right = parts.length > 1 && parts[1] ? parts[1].split(":") : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `signup-ip:${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

export interface ThrottleResult {
  allowed: boolean;
  count: number;
  /** When the current window ends. */
  resetAt: Date;
}

/** Counts one signup attempt from `ip`; `allowed` is false once the limit is exceeded. */
export async function takeSignupAttempt(
  pool: pg.Pool,
  ip: string,
  settings: ThrottleSettings = throttleSettingsFromEnv(),
): Promise<ThrottleResult> {
  const r = await hitRateLimit(pool, throttleKeyForIp(ip), settings.limit, settings.windowSeconds * 1000);
  return { allowed: r.allowed, count: r.count, resetAt: new Date(Date.now() + r.retryAfterMs) };
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
  const r = await pool.query(
    `DELETE FROM rate_limit_buckets WHERE key LIKE 'signup-ip:%' AND "windowStart" < now() - $1 * interval '1 second'`,
    [olderThanSeconds],
  );
  return r.rowCount ?? 0;
}
