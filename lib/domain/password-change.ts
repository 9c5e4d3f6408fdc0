// A user's password change, on the protocol (setpassword) or the web (/account): the new hash and
// a new session epoch in one statement, announced on CHANNELS.user, so every other session of the
// account ends (daemons drop protocol sessions whose epoch is stale, the web signs out sessions
// carrying the old epoch). A stolen session cannot outlive the password change meant to stop it.
import type pg from "pg";
import { CHANNELS } from "../db/notify.ts";

/** Sets the hash, bumps users."sessionEpoch" and notifies; returns the new epoch (null: no such user). */
export async function changeUserPassword(pool: pg.Pool, userId: string, passwordHash: string): Promise<number | null> {
  const r = await pool.query<{ sessionEpoch: number }>(
    `WITH u AS (
       UPDATE users SET "passwordHash" = $2, "sessionEpoch" = "sessionEpoch" + 1 WHERE id = $1 RETURNING id, "sessionEpoch"
     )
     SELECT u."sessionEpoch", pg_notify($3, u.id) FROM u`,
    [userId, passwordHash, CHANNELS.user],
  );
  return r.rows[0]?.sessionEpoch ?? null;
}
