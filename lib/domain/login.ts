// Logging in to a realm over the protocol (authenticate), shared rules with the web login in
// login-limits.ts: a wrong name or password is not told apart, failures count per account and
// per address, and a computer login records the connection's presence for getuserstatus.
import type pg from "pg";
import { dummyHash, verifyPassword } from "../auth/password.ts";
import { DomainError } from "./errors.ts";
import { foldUsername } from "./usernames.ts";
import { hitRateLimit, peekRateLimit, resetRateLimit } from "./rate-limit.ts";
import { LOGIN_LIMITS, loginAccountBucket, loginIpBucket } from "./login-limits.ts";

export interface LoginRequest {
  realmId: string;
  /** A username or a full user id of this realm. */
  name: string;
  /** "" = account management only. */
  computer: string;
  password: string;
  remoteIp: string;
  /** Per-account failed-login limit. */
  failuresPerWindow: number;
  failureWindowMs: number;
  /** Where the presence row of a computer login points. */
  presence: { connectionId: string; instanceId: string };
}

export interface LoggedIn {
  userId: string;
  username: string;
  fullId: string;
  computer: string;
  sessionEpoch: number;
}

/** Checks the credentials and starts the session; DomainError (BADAUTH, RATELIMITED, ...) when refused. */
export async function logIn(pool: pg.Pool, q: LoginRequest): Promise<LoggedIn> {
  let username = q.name;
  if (q.name.includes("::")) {
    const at = q.name.lastIndexOf("::");
    if (q.name.slice(0, at).toLowerCase() !== q.realmId.toLowerCase())
      throw new DomainError("BADAUTH", `this is realm ${q.realmId}; log in to your own realm`);
    username = q.name.slice(at + 2);
  }
  const bucket = loginAccountBucket(q.realmId, username);
  const ipBucket = loginIpBucket(q.remoteIp);
  const r = await pool.query<{
    id: string;
    username: string;
    passwordHash: string;
    status: string;
    sessionEpoch: number;
  }>(
    `SELECT id, username, "passwordHash", status, "sessionEpoch" FROM users WHERE "realmId" = $1 AND "usernameKey" = $2`,
    [q.realmId, foldUsername(username)],
  );
  const u = r.rows[0];
  const good = await verifyPassword(u?.passwordHash ?? (await dummyHash()), q.password);
  if (!u || !good) {
    const a = await hitRateLimit(pool, bucket, q.failuresPerWindow, q.failureWindowMs);
    const b = await hitRateLimit(pool, ipBucket, LOGIN_LIMITS.ip.limit, LOGIN_LIMITS.ip.windowMs);
    if (!a.allowed || !b.allowed)
      throw new DomainError(
        "RATELIMITED",
        `too many failed logins; try again in ${Math.ceil(Math.max(a.retryAfterMs, b.retryAfterMs) / 60_000)} minute(s)`,
      );
    throw new DomainError("BADAUTH", "wrong username or password");
  }
  if ((await peekRateLimit(pool, bucket, q.failureWindowMs)) >= q.failuresPerWindow)
    throw new DomainError("RATELIMITED", "too many failed logins for this account; try again later");
  if (u.status !== "ACTIVE")
    throw new DomainError("UNAUTHORIZED", "this account is suspended; contact the realm's operator");
  if (q.computer) {
    const c = await pool.query(`UPDATE computers SET "lastSeenAt" = now() WHERE "userId" = $1 AND name = $2`, [
      u.id,
      q.computer,
    ]);
    if (!c.rowCount)
      throw new DomainError(
        "BADCOMPUTER",
        `no computer "${q.computer}" on this account; log in without a computer name and use createcomputer`,
      );
  }
  await resetRateLimit(pool, bucket);
  await pool.query(`UPDATE users SET "lastLoginAt" = now() WHERE id = $1`, [u.id]);
  if (q.computer)
    await pool.query(
      `INSERT INTO presences ("connectionId", "instanceId", "realmId", "userId", computer) VALUES ($1, $2, $3, $4, $5)`,
      [q.presence.connectionId, q.presence.instanceId, q.realmId, u.id, q.computer],
    );
  return {
    userId: u.id,
    username: u.username,
    fullId: `${q.realmId}::${u.username}`,
    computer: q.computer,
    sessionEpoch: u.sessionEpoch,
  };
}
