// Immediate-message quotas set by the recipient (setimessagequota, as the original designed it):
// how many immediate messages per minute one sender, or every sender without a quota of their
// own (the recipient's default), may send to this user. The operator's rate (the user's
// override or the realm's, set in the console) is the ceiling: a recipient can lower it, down
// to 0 (that sender is refused), never raise it. The rate applied to a sender is
//   least(ceiling, coalesce(per-sender quota, recipient's default, ceiling)).
import type pg from "pg";
import { DomainError } from "./errors.ts";

type Queryable = pg.Pool | pg.PoolClient;

const CEILING = `COALESCE(u."imessageRatePerMinute", r."imessageRatePerMinute")`;

/**
 * SQL: the rate recipient `u` (joined with its realm `r`) applies to sender id expression
 * `sender`.
 */
export function effectiveImessageRateSql(sender: string): string {
  return `LEAST(${CEILING}, COALESCE((SELECT q."ratePerMinute" FROM imessage_quotas q WHERE q."userId" = u.id AND q."senderId" = ${sender}),
            u."imessageDefaultRate", ${CEILING}))`;
}

/** The rate (per minute) `recipientId` applies to `senderId` ("" = the default for other senders). */
export async function imessageRate(db: Queryable, recipientId: string, senderId: string): Promise<number> {
  const r = await db.query<{ rate: number }>(
    `SELECT ${senderId ? effectiveImessageRateSql("$2") : `LEAST(${CEILING}, COALESCE(u."imessageDefaultRate", ${CEILING}))`} AS rate
       FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1`,
    senderId ? [recipientId, senderId] : [recipientId],
  );
  if (!r.rows[0]) throw new DomainError("NOSUCHUSER", "account not found");
  return r.rows[0].rate;
}

/**
 * Sets (rate ≥ 0) or removes (rate null) the quota for one sender, or the recipient's default
 * (senderId ""). BADARGUMENTS above the operator's ceiling, naming it.
 */
export async function setImessageQuota(
  pool: pg.Pool,
  recipientId: string,
  senderId: string,
  rate: number | null,
): Promise<void> {
  if (rate !== null) {
    const c = await pool.query<{ ceiling: number }>(
      `SELECT ${CEILING} AS ceiling FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1`,
      [recipientId],
    );
    const ceiling = c.rows[0]?.ceiling ?? 0;
    if (rate > ceiling)
      throw new DomainError(
        "BADARGUMENTS",
        `at most ${ceiling} immediate messages per minute (the realm's limit for your account)`,
      );
  }
  if (!senderId) {
    await pool.query(`UPDATE users SET "imessageDefaultRate" = $2 WHERE id = $1`, [recipientId, rate]);
    return;
  }
  if (rate === null)
    await pool.query(`DELETE FROM imessage_quotas WHERE "userId" = $1 AND "senderId" = $2`, [recipientId, senderId]);
  else
    await pool.query(
      `INSERT INTO imessage_quotas ("userId", "senderId", "ratePerMinute") VALUES ($1, $2, $3)
       ON CONFLICT ("userId", "senderId") DO UPDATE SET "ratePerMinute" = EXCLUDED."ratePerMinute"`,
      [recipientId, senderId, rate],
    );
}

/** The per-sender quotas a recipient set: full sender id and rate, by sender. */
export async function listImessageQuotas(
  db: Queryable,
  recipientId: string,
): Promise<Array<{ sender: string; rate: number }>> {
  const r = await db.query<{ sender: string; rate: number }>(
    `SELECT s."realmId" || '::' || s.username AS sender, q."ratePerMinute" AS rate
       FROM imessage_quotas q JOIN users s ON s.id = q."senderId" WHERE q."userId" = $1 ORDER BY s."usernameKey"`,
    [recipientId],
  );
  return r.rows;
}
