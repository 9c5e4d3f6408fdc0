// Account operations of a logged-in user over the protocol: changing the password and finding
// other users of the realm by username prefix.
import { canSeeSql } from "./visibility.ts";
import type pg from "pg";
import { hashPassword, verifyPassword } from "../auth/password.ts";
import { DomainError } from "./errors.ts";
import { checkPassword, foldUsername } from "./usernames.ts";
import {
  beginLoginAttempt,
  LOCKOUT_REASON,
  loginAccountBucket,
  loginIpBucket,
  loginFailed,
  loginSucceeded,
} from "./login-limits.ts";
import { changeUserPassword } from "./password-change.ts";

export interface PasswordGate {
  realmId: string;
  remoteIp: string;
  failuresPerWindow: number;
  failureWindowMs: number;
}

/**
 * The caller's password again, under the login limits (checked before the password is hashed):
 * RATELIMITED during a lockout, BADAUTH when wrong.
 */
export async function checkCurrentPassword(
  pool: pg.Pool,
  session: { userId: string; username: string },
  password: string,
  gate: PasswordGate,
): Promise<void> {
  const buckets = {
    account: loginAccountBucket(gate.realmId, session.username),
    ip: loginIpBucket(gate.remoteIp),
    accountRule: { limit: gate.failuresPerWindow, windowMs: gate.failureWindowMs },
  };
  if (!(await beginLoginAttempt(pool, buckets))) throw new DomainError("RATELIMITED", LOCKOUT_REASON);
  const r = await pool.query<{ passwordHash: string }>(`SELECT "passwordHash" FROM users WHERE id = $1`, [
    session.userId,
  ]);
  if (!r.rows[0] || !(await verifyPassword(r.rows[0].passwordHash, password))) {
    await loginFailed(pool, buckets);
    throw new DomainError("BADAUTH", "the current password is wrong");
  }
  await loginSucceeded(pool, buckets);
}

/**
 * BADAUTH when `current` is wrong, RATELIMITED under the login limits (checked before the
 * password, login-limits.ts); the password rules' status otherwise. A change ends every other
 * session of the account (password-change.ts): `session` is the caller's live session, which
 * takes the new epoch before the change is announced so that it alone stays.
 */
export async function changePassword(
  pool: pg.Pool,
  session: { userId: string; username: string; sessionEpoch: number },
  current: string,
  next: string,
  gate: PasswordGate,
): Promise<void> {
  await checkCurrentPassword(pool, session, current, gate);
  const bad = checkPassword(next, session.username);
  if (bad) throw bad;
  const hash = await hashPassword(next);
  const before = session.sessionEpoch;
  session.sessionEpoch = before + 1;
  try {
    const epoch = await changeUserPassword(pool, session.userId, hash);
    if (epoch !== null) session.sessionEpoch = epoch;
  } catch (e) {
    session.sessionEpoch = before;
    throw e;
  }
}

/** Up to `limit` active usernames of the realm starting with `prefix` (case-folded), in order. */
/** Users whose name starts with `prefix`, among those the viewer may see (visibility.ts). */
export async function searchUsers(
  pool: pg.Pool,
  realmId: string,
  prefix: string,
  limit: number,
  viewerId: string,
): Promise<string[]> {
  const key = foldUsername(prefix).replace(/[\\%_]/g, (c) => `\\${c}`);
  const r = await pool.query<{ username: string }>(
    `SELECT username FROM users u WHERE u."realmId" = $1 AND u."usernameKey" LIKE $2 AND u.status = 'ACTIVE'
        AND ${canSeeSql("$4", "u")} ORDER BY u."usernameKey" LIMIT $3`,
    [realmId, `${key}%`, limit, viewerId],
  );
  return r.rows.map((x) => x.username);
}

/** Whether the user may message and share with users of other realms (set in the console). */
export async function canMessageOtherRealms(db: pg.Pool | pg.PoolClient, userId: string): Promise<boolean> {
  const r = await db.query<{ canMessageOtherRealms: boolean }>(
    `SELECT "canMessageOtherRealms" FROM users WHERE id = $1`,
    [userId],
  );
  return r.rows[0]?.canMessageOtherRealms ?? false;
}

export interface UserSearchPage {
  /** Every match, not just this page's (the original's first reply line). */
  total: number;
  usernames: string[];
}

/**
 * The original searchusers (docs/protocol.md): active usernames of the realm that contain `text`
 * (case-folded), or whose user setting under one of `keys` (all `public-`) contains it
 * (case-insensitive), ordered by name, one page of `limit` after `offset`, with the total count
 * so that a client pages through any number of results. One statement: the count is a window
 * over the same match set, so page and total agree.
 */
export async function searchUsersPage(
  pool: pg.Pool,
  realmId: string,
  q: { text: string; keys: readonly string[]; offset: number; limit: number; viewerId: string },
): Promise<UserSearchPage> {
  const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const r = await pool.query<{ username: string | null; total: string }>(
    `WITH matches AS (
       SELECT u.username, u."usernameKey" FROM users u
        WHERE u."realmId" = $1 AND u.status = 'ACTIVE' AND ${canSeeSql("$7", "u")}
          AND (u."usernameKey" LIKE $2
               OR EXISTS (SELECT 1 FROM settings s WHERE s."userId" = u.id AND s.computer = ''
                            AND s.key = ANY($3::text[]) AND lower(s.value) LIKE lower($4)))
     )
     SELECT p.username, (SELECT count(*) FROM matches) AS total
       FROM (SELECT 1) one
       LEFT JOIN LATERAL (SELECT username FROM matches ORDER BY "usernameKey" OFFSET $5 LIMIT $6) p ON true`,
    [realmId, like(foldUsername(q.text)), q.keys, like(q.text), q.offset, q.limit, q.viewerId],
  );
  return {
    total: Number(r.rows[0]?.total ?? 0),
    usernames: r.rows.flatMap((x) => (x.username === null ? [] : [x.username])),
  };
}
