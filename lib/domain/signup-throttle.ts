// Per-address signup throttle: a fixed-window counter per realm and client address in
// rate_limit_buckets (lib/domain/rate-limit.ts), so the limit holds across web processes.
// Keys are "signup-ip:<realm id>|<address>", so the console can show and reset one realm's
// entries (listSignupThrottles / resetSignupThrottle) without touching another realm's.
import type pg from "pg";
import type { Prisma } from "../generated/prisma/client.ts";
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
export function throttleAddress(ip: string): string {
  const a = ip
    .trim()
    .toLowerCase()
    .replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  if (!a.includes(":")) return a || "unknown";
  const [head] = a.split("%");
  const parts = head.split("::");
  const left = parts[0] ? parts[0].split(":") : [];
  const right = parts.length > 1 && parts[1] ? parts[1].split(":") : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

const KEY_PREFIX = "signup-ip:";

export function throttleKeyForIp(realmId: string, ip: string): string {
  return `${KEY_PREFIX}${realmId}|${throttleAddress(ip)}`;
}

export interface ThrottleResult {
  allowed: boolean;
  count: number;
  /** When the current window ends. */
  resetAt: Date;
}

/** Counts one signup attempt from `ip` on a realm; `allowed` is false once the limit is exceeded. */
export async function takeSignupAttempt(
  pool: pg.Pool,
  realmId: string,
  ip: string,
  settings: ThrottleSettings = throttleSettingsFromEnv(),
): Promise<ThrottleResult> {
  const r = await hitRateLimit(pool, throttleKeyForIp(realmId, ip), settings.limit, settings.windowSeconds * 1000);
  return { allowed: r.allowed, count: r.count, resetAt: new Date(Date.now() + r.retryAfterMs) };
}

/** Throws RATELIMITED with when to try again, or returns when the attempt may go ahead. */
export async function enforceSignupThrottle(
  pool: pg.Pool,
  realmId: string,
  ip: string,
  settings?: ThrottleSettings,
): Promise<void> {
  const r = await takeSignupAttempt(pool, realmId, ip, settings);
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

export interface SignupThrottleRow {
  address: string;
  attempts: number;
  limit: number;
  remaining: number;
  /** True once the address has used every attempt of the window (the next one is refused). */
  throttled: boolean;
  windowStart: Date;
  /** When the window ends and the address may try again. */
  until: Date;
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A realm's addresses with attempts in the current window, most attempts first. */
export async function listSignupThrottles(
  db: Prisma.TransactionClient,
  realmId: string,
  settings: ThrottleSettings = throttleSettingsFromEnv(),
): Promise<SignupThrottleRow[]> {
  const prefix = `${KEY_PREFIX}${realmId}|`;
  const rows = await db.$queryRaw<{ key: string; count: number; windowStart: Date }[]>`
    SELECT key, count, "windowStart" FROM rate_limit_buckets
     WHERE key LIKE ${likeEscape(prefix) + "%"} AND "windowStart" >= now() - ${settings.windowSeconds} * interval '1 second'
     ORDER BY count DESC, key ASC LIMIT 500`;
  return rows.map((r) => ({
    address: r.key.slice(prefix.length),
    attempts: r.count,
    limit: settings.limit,
    remaining: Math.max(0, settings.limit - r.count),
    throttled: r.count >= settings.limit,
    windowStart: r.windowStart,
    until: new Date(r.windowStart.getTime() + settings.windowSeconds * 1000),
  }));
}

/** Forgets an address's attempts on a realm; true when there was something to forget. */
export async function resetSignupThrottle(
  db: Prisma.TransactionClient,
  realmId: string,
  address: string,
): Promise<{ attempts: number; windowStart: Date } | null> {
  const rows = await db.$queryRaw<{ count: number; windowStart: Date }[]>`
    DELETE FROM rate_limit_buckets WHERE key = ${`${KEY_PREFIX}${realmId}|${address}`} RETURNING count, "windowStart"`;
  return rows[0] ? { attempts: rows[0].count, windowStart: rows[0].windowStart } : null;
}
