// Account operations of a logged-in user over the protocol: changing the password and finding
// other users of the realm by username prefix.
import type pg from "pg";
import { hashPassword, verifyPassword } from "../auth/password.ts";
import { DomainError } from "./errors.ts";
import { checkPassword, foldUsername } from "./usernames.ts";

/** BADAUTH when `current` is wrong; the password rules' status otherwise. Other sessions stay. */
export async function changePassword(
  pool: pg.Pool,
  user: { userId: string; username: string },
  current: string,
  next: string,
): Promise<void> {
  const r = await pool.query<{ passwordHash: string }>(`SELECT "passwordHash" FROM users WHERE id = $1`, [user.userId]);
  if (!r.rows[0] || !(await verifyPassword(r.rows[0].passwordHash, current)))
    throw new DomainError("BADAUTH", "the current password is wrong");
  const bad = checkPassword(next, user.username);
  if (bad) throw bad;
  await pool.query(`UPDATE users SET "passwordHash" = $2 WHERE id = $1`, [user.userId, await hashPassword(next)]);
}

/** Up to `limit` active usernames of the realm starting with `prefix` (case-folded), in order. */
export async function searchUsers(pool: pg.Pool, realmId: string, prefix: string, limit: number): Promise<string[]> {
  const key = foldUsername(prefix).replace(/[\\%_]/g, (c) => `\\${c}`);
  const r = await pool.query<{ username: string }>(
    `SELECT username FROM users WHERE "realmId" = $1 AND "usernameKey" LIKE $2 AND status = 'ACTIVE' ORDER BY "usernameKey" LIMIT $3`,
    [realmId, `${key}%`, limit],
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
