// Logging in to a realm over the protocol (authenticate), shared rules with the web login in
// login-limits.ts: a wrong name or password is not told apart, every attempt takes a slot per
// account and per address before the password is checked (a lockout answers the same whatever
// the password, and hashes nothing), and a computer login records the connection's presence.
import type pg from "pg";
import { dummyHash, verifyPassword } from "../auth/password.ts";
import { DomainError } from "./errors.ts";
import { notifyStatus } from "./subscription-events.ts";
import { foldUsername } from "./usernames.ts";
import {
  beginLoginAttempt,
  LOCKOUT_REASON,
  loginAccountBucket,
  loginFailed,
  loginIpBucket,
  loginSucceeded,
  type LoginBuckets,
} from "./login-limits.ts";

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
  /**
   * Where the presence row of a computer login points. Absent for a channel connection: it is
   * a second connection of a computer, not the computer coming online.
   */
  presence?: { connectionId: string; instanceId: string };
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
  const buckets: LoginBuckets = {
    account: loginAccountBucket(q.realmId, username),
    ip: loginIpBucket(q.remoteIp),
    accountRule: { limit: q.failuresPerWindow, windowMs: q.failureWindowMs },
  };
  // The limits first (account and address), before any lookup or hashing: during a lockout
  // every attempt gets the same answer, right password or not.
  if (!(await beginLoginAttempt(pool, buckets))) throw new DomainError("RATELIMITED", LOCKOUT_REASON);
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
    await loginFailed(pool, buckets);
    throw new DomainError("BADAUTH", "wrong username or password");
  }
  await loginSucceeded(pool, buckets);
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
  await pool.query(`UPDATE users SET "lastLoginAt" = now() WHERE id = $1`, [u.id]);
  if (q.computer && q.presence)
    await pool.query(
      `INSERT INTO presences ("connectionId", "instanceId", "realmId", "userId", computer) VALUES ($1, $2, $3, $4, $5)`,
      [q.presence.connectionId, q.presence.instanceId, q.realmId, u.id, q.computer],
    );
  if (q.computer && q.presence) await notifyStatus(pool, u.id, q.computer);
  return {
    userId: u.id,
    username: u.username,
    fullId: `${q.realmId}::${u.username}`,
    computer: q.computer,
    sessionEpoch: u.sessionEpoch,
  };
}
