// Stored username keys follow foldUsername. When its definition changes (version 2: the TR39
// confusable skeleton), the keys of existing users are recomputed once, by application code,
// at the first daemon start after the upgrade; an advisory lock keeps concurrent instances from
// doing it twice. Two existing accounts whose names are look-alikes of each other cannot share
// a key: the older keeps it, the newer keeps its previous key and is logged for the operator.
import type pg from "pg";
import type { Logger } from "pino";
import { foldUsername, USERNAME_KEY_VERSION } from "./usernames.ts";

const LOCK = "og_data_upgrades";

export interface KeyUpgradeResult {
  /** False when an earlier start already did it. */
  ran: boolean;
  updated: number;
  /** Users whose new key is taken by an older look-alike account. */
  conflicts: string[];
}

export async function upgradeUsernameKeys(pool: pg.Pool, log?: Logger): Promise<KeyUpgradeResult> {
  const name = `username-key-v${USERNAME_KEY_VERSION}`;
  const c = await pool.connect();
  try {
    await c.query(`SELECT pg_advisory_lock(hashtext($1))`, [LOCK]);
    const done = await c.query(`SELECT 1 FROM data_upgrades WHERE name = $1`, [name]);
    if (done.rowCount) return { ran: false, updated: 0, conflicts: [] };
    let updated = 0;
    const conflicts: string[] = [];
    let after: [string, string] | null = null;
    for (;;) {
      // Oldest first, so the older of two look-alikes keeps the key. The cursor's timestamp
      // travels as text to compare exactly, whatever the process time zone.
      const page: pg.QueryResult<{ id: string; username: string; usernameKey: string; createdAt: string }> =
        await c.query(
          `SELECT id, username, "usernameKey", "createdAt"::text AS "createdAt" FROM users
           WHERE $1::timestamp IS NULL OR ("createdAt", id) > ($1::timestamp, $2::text)
           ORDER BY "createdAt", id LIMIT 1000`,
          [after?.[0] ?? null, after?.[1] ?? ""],
        );
      for (const u of page.rows) {
        const key = foldUsername(u.username);
        if (key === u.usernameKey) continue;
        // One statement per user: a unique violation (an older look-alike holds the key) is
        // reported, not fatal.
        const r = await c
          .query(`UPDATE users SET "usernameKey" = $2 WHERE id = $1`, [u.id, key])
          .catch((e: { code?: string }) => {
            if (e.code === "23505") return null;
            throw e;
          });
        if (r?.rowCount) updated++;
        else conflicts.push(u.id);
      }
      const last = page.rows.at(-1);
      if (!last) break;
      after = [last.createdAt, last.id];
    }
    for (const id of conflicts)
      log?.warn({ userId: id }, "username is a look-alike of an older account's; it keeps its previous key");
    await c.query(`INSERT INTO data_upgrades (name, detail) VALUES ($1, $2)`, [
      name,
      `updated=${updated} conflicts=${conflicts.length}`,
    ]);
    return { ran: true, updated, conflicts };
  } finally {
    await c.query(`SELECT pg_advisory_unlock(hashtext($1))`, [LOCK]).catch(() => undefined);
    c.release();
  }
}
