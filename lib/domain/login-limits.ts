// Failed-login limits for realm users, shared by the realm daemon's authenticate and the web
// account sign-in: the same rules and the same bucket names, so guesses on either path count
// together (ejabberd-style lockout per account, plus a wider one per client address). Every
// password check (authenticate, web sign-in, setpassword on both paths) goes through
// beginLoginAttempt first.
import type pg from "pg";
import { foldUsername } from "./usernames.ts";
import { hitRateLimit, resetRateLimit, unhitRateLimit } from "./rate-limit.ts";

export const LOGIN_LIMITS = {
  account: { limit: 10, windowMs: 15 * 60_000 },
  ip: { limit: 50, windowMs: 15 * 60_000 },
} as const;

export const loginAccountBucket = (realmId: string, username: string) => `auth:${realmId}:${foldUsername(username)}`;
export const loginIpBucket = (ip: string) => `auth-ip:${ip}`;

export interface LoginBuckets {
  /** loginAccountBucket of the account tried (null when the realm is unknown). */
  account: string | null;
  /** loginIpBucket of the client address (null when unknown). */
  ip: string | null;
  /** The account rule; the realm daemon's limits may override it. */
  accountRule?: { limit: number; windowMs: number };
}

/** The one reply during a lockout, whatever the password, the account or the path. */
export const LOCKOUT_REASON = "too many failed logins; try again later";

/**
 * Reserves one attempt in the account and address buckets BEFORE the password is looked at,
 * one atomic statement per bucket, so concurrent guesses cannot slip past the limit. False means
 * locked out: the caller answers LOCKOUT_REASON at once, without hashing anything, so a lockout
 * reveals nothing about the password and costs no Argon2 time. A successful login gives the
 * reservation back (loginSucceeded); a failed one keeps it, counting as a failure.
 */
export async function beginLoginAttempt(pool: pg.Pool, b: LoginBuckets): Promise<boolean> {
  const rule = b.accountRule ?? LOGIN_LIMITS.account;
  const [a, i] = await Promise.all([
    b.account ? hitRateLimit(pool, b.account, rule.limit, rule.windowMs) : null,
    b.ip ? hitRateLimit(pool, b.ip, LOGIN_LIMITS.ip.limit, LOGIN_LIMITS.ip.windowMs) : null,
  ]);
  return (a?.allowed ?? true) && (i?.allowed ?? true);
}

/** The password was right: the account's failures are forgiven and the address's slot returned. */
export async function loginSucceeded(pool: pg.Pool, b: LoginBuckets): Promise<void> {
  await Promise.all([b.account ? resetRateLimit(pool, b.account) : null, b.ip ? unhitRateLimit(pool, b.ip) : null]);
}
