// Failed-login limits for realm users, shared by the realm daemon's authenticate and the web
// account sign-in: the same rules and the same bucket names, so guesses on either path count
// together (ejabberd-style lockout per account, plus a wider one per client address). Every
// password check (authenticate, web sign-in, setpassword on both paths) goes through
// beginLoginAttempt first and reports its outcome (loginSucceeded / loginFailed).
//
// A bucket (rate_limit_buckets) keeps its failures in the window (`count`) apart from the
// attempts being checked right now (`pending`). An attempt reserves a slot only while
// failures + pending < limit, in one statement, so concurrent guesses can never get more
// password checks than the limit. When the slots are taken by attempts still in progress
// (128 clients behind one NAT reconnecting after a restart), the attempt waits for one to be
// given back instead of being refused: only failures lock anybody out, and a refusal counts as
// nothing. A slot whose outcome is never reported (the process died mid-check) is freed when
// the bucket's window starts over.
import type pg from "pg";
import { foldUsername } from "./usernames.ts";

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

/** How long an attempt waits for a slot held by attempts in progress before it is refused. */
export const LOGIN_SLOT_WAIT_MS = 30_000;

interface Rule {
  key: string;
  limit: number;
  windowMs: number;
}

function rules(b: LoginBuckets): Rule[] {
  const out: Rule[] = [];
  const acc = b.accountRule ?? LOGIN_LIMITS.account;
  if (b.account) out.push({ key: b.account, ...acc });
  if (b.ip) out.push({ key: b.ip, ...LOGIN_LIMITS.ip });
  return out;
}

/**
 * Takes a slot when failures + pending < limit (a passed window starts over). Returns null when
 * it did, else the failures counted in the window (to tell a lockout from a full house).
 */
async function reserve(pool: pg.Pool, r: Rule): Promise<number | null> {
  const got = await pool.query(
    `INSERT INTO rate_limit_buckets (key, "windowStart", count, pending) VALUES ($1, now(), 0, 1)
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN rate_limit_buckets."windowStart" < now() - $3 * interval '1 millisecond' THEN 0 ELSE rate_limit_buckets.count END,
       pending = CASE WHEN rate_limit_buckets."windowStart" < now() - $3 * interval '1 millisecond' THEN 1 ELSE rate_limit_buckets.pending + 1 END,
       "windowStart" = CASE WHEN rate_limit_buckets."windowStart" < now() - $3 * interval '1 millisecond' THEN now() ELSE rate_limit_buckets."windowStart" END
     WHERE rate_limit_buckets."windowStart" < now() - $3 * interval '1 millisecond'
        OR rate_limit_buckets.count + rate_limit_buckets.pending < $2
     RETURNING 1`,
    [r.key, r.limit, r.windowMs],
  );
  if (got.rowCount) return null;
  const c = await pool.query<{ count: number }>(`SELECT count FROM rate_limit_buckets WHERE key = $1`, [r.key]);
  return c.rows[0]?.count ?? 0;
}

async function release(pool: pg.Pool, key: string, outcome: "ok" | "failed" | "forgive"): Promise<void> {
  const count = outcome === "failed" ? "count + 1" : outcome === "forgive" ? "0" : "count";
  await pool.query(
    `UPDATE rate_limit_buckets SET count = ${count}, pending = greatest(pending - 1, 0) WHERE key = $1`,
    [key],
  );
}

/**
 * Reserves one attempt in the account and address buckets BEFORE the password is looked at.
 * False means locked out (the failures reached a limit, or no slot came free within
 * LOGIN_SLOT_WAIT_MS): the caller answers LOCKOUT_REASON at once, without hashing anything, so a
 * lockout reveals nothing about the password and costs no Argon2 time. True obliges the caller
 * to report the outcome: loginSucceeded or loginFailed.
 */
export async function beginLoginAttempt(
  pool: pg.Pool,
  b: LoginBuckets,
  waitMs: number = LOGIN_SLOT_WAIT_MS,
): Promise<boolean> {
  const rs = rules(b);
  const deadline = Date.now() + waitMs;
  for (let round = 0; ; round++) {
    const taken: Rule[] = [];
    let lockedOut = false;
    let full = false;
    // One bucket after the other (account first, as everywhere): a bucket's slot is only kept
    // when every bucket gave one.
    for (const r of rs) {
      const failures = await reserve(pool, r);
      if (failures === null) {
        taken.push(r);
        continue;
      }
      if (failures >= r.limit) lockedOut = true;
      else full = true;
      break;
    }
    if (!lockedOut && !full) return true;
    for (const r of taken) await release(pool, r.key, "ok");
    if (lockedOut || Date.now() >= deadline) return false;
    // Slots held by attempts in progress come free within one password check: poll with a
    // growing, jittered pause.
    const pause = Math.min(250, 10 * 2 ** Math.min(round, 5)) * (0.5 + Math.random());
    await new Promise((res) => setTimeout(res, Math.min(pause, Math.max(1, deadline - Date.now()))));
  }
}

/** The password was right: the account's failures are forgiven and both slots given back. */
export async function loginSucceeded(pool: pg.Pool, b: LoginBuckets): Promise<void> {
  await Promise.all([b.account ? release(pool, b.account, "forgive") : null, b.ip ? release(pool, b.ip, "ok") : null]);
}

/** The password (or the name) was wrong: the attempt counts as a failure in both buckets. */
export async function loginFailed(pool: pg.Pool, b: LoginBuckets): Promise<void> {
  await Promise.all([
    b.account ? release(pool, b.account, "failed") : null,
    b.ip ? release(pool, b.ip, "failed") : null,
  ]);
}
