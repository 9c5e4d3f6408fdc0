// Storage accounting. users.bytesUsed is a maintained counter (= messageBytes + workspaceBytes
// + settingsBytes) so reading a user's usage is one row, and every charge is ONE conditional
// UPDATE: concurrent writers can never push an account over its quota, not by a single byte.
// `recomputeUsage` is the consistency check that rebuilds the counters from the data.
import type pg from "pg";
import { named } from "../db/named.ts";
import { effectiveQuotaSql } from "./quota-rule.ts";

export type StorageCategory = "message" | "workspace" | "settings";

const COLUMN: Record<StorageCategory, string> = {
  message: `"messageBytes"`,
  workspace: `"workspaceBytes"`,
  settings: `"settingsBytes"`,
};

type Queryable = pg.Pool | pg.PoolClient;

/** Charges `delta` (> 0) bytes to a local user if it fits their effective quota. Returns false when it does not. */
export async function chargeBytes(
  db: Queryable,
  userId: string,
  delta: bigint,
  category: StorageCategory,
): Promise<boolean> {
  if (delta <= 0n) return true;
  const col = COLUMN[category];
  const r = await db.query(
    named(
      `UPDATE users u SET "bytesUsed" = u."bytesUsed" + $2, ${col} = u.${col} + $2
       FROM realms r
      WHERE u.id = $1 AND r.id = u."realmId" AND u."bytesUsed" + $2 <= ${effectiveQuotaSql("u", "r")}`,
      [userId, delta.toString()],
    ),
  );
  return r.rowCount === 1;
}

/** Releases bytes charged earlier (never below zero). */
export async function releaseBytes(
  db: Queryable,
  userId: string,
  delta: bigint,
  category: StorageCategory,
): Promise<void> {
  if (delta <= 0n) return;
  const col = COLUMN[category];
  await db.query(
    named(
      `UPDATE users SET "bytesUsed" = GREATEST("bytesUsed" - $2, 0), ${col} = GREATEST(${col} - $2, 0) WHERE id = $1`,
      [userId, delta.toString()],
    ),
  );
}

export interface Quotas {
  quotaBytes: bigint;
  bytesUsed: bigint;
  messageBytes: bigint;
  workspaceBytes: bigint;
  settingsBytes: bigint;
  maxComputers: number;
  computers: number;
  imessageRatePerMinute: number;
  /** The realm's subscriptions limit and this user's subscriptions (the original's quota). */
  maxSubscriptions: number;
  subscriptions: number;
  /** Channels this user may own, and owns. */
  maxChannels: number;
  channels: number;
}

export async function getQuotas(db: Queryable, userId: string): Promise<Quotas | null> {
  const r = await db.query<{
    quota: bigint;
    bytesUsed: bigint;
    messageBytes: bigint;
    workspaceBytes: bigint;
    settingsBytes: bigint;
    maxComputers: number;
    computers: string;
    rate: number;
    maxSubscriptions: number;
    subscriptions: string;
    maxChannels: number;
    channels: string;
  }>(
    named(
      `SELECT ${effectiveQuotaSql("u", "r")} AS quota, u."bytesUsed", u."messageBytes", u."workspaceBytes", u."settingsBytes",
            r."maxComputersPerUser" AS "maxComputers", (SELECT count(*) FROM computers c WHERE c."userId" = u.id) AS computers,
            COALESCE(u."imessageRatePerMinute", r."imessageRatePerMinute") AS rate,
            r."maxSubscriptionsPerUser" AS "maxSubscriptions", (SELECT count(*) FROM subscriptions s WHERE s."userId" = u.id) AS subscriptions,
            r."maxChannelsPerUser" AS "maxChannels", (SELECT count(*) FROM channels ch WHERE ch."ownerId" = u.id) AS channels
       FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1`,
      [userId],
    ),
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    quotaBytes: BigInt(row.quota),
    bytesUsed: BigInt(row.bytesUsed),
    messageBytes: BigInt(row.messageBytes),
    workspaceBytes: BigInt(row.workspaceBytes),
    settingsBytes: BigInt(row.settingsBytes),
    maxComputers: row.maxComputers,
    computers: Number(row.computers),
    imessageRatePerMinute: row.rate,
    maxSubscriptions: row.maxSubscriptions,
    subscriptions: Number(row.subscriptions),
    maxChannels: row.maxChannels,
    channels: Number(row.channels),
  };
}

/**
 * Consistency check: recomputes every counter of a realm's users from the stored data and
 * fixes drift. Returns the users whose counters were wrong.
 */
export async function recomputeUsage(
  pool: pg.Pool,
  realmId: string,
): Promise<Array<{ userId: string; was: bigint; now: bigint }>> {
  const r = await pool.query<{ id: string; was: bigint; msg: bigint; ws: bigint; st: bigint }>(
    `WITH m AS (SELECT "senderUserId" AS uid, sum(size) AS b FROM messages WHERE "realmId" = $1 AND "senderUserId" IS NOT NULL GROUP BY 1),
          w AS (SELECT "authorUserId" AS uid, sum(size) AS b FROM workspace_changes c JOIN workspaces ws ON ws.id = c."workspaceId"
                 WHERE ws."realmId" = $1 AND "authorUserId" IS NOT NULL GROUP BY 1),
          s AS (SELECT "userId" AS uid, sum(octet_length(key) + octet_length(value)) AS b FROM settings GROUP BY 1)
     SELECT u.id, u."bytesUsed" AS was, COALESCE(m.b, 0)::bigint AS msg, COALESCE(w.b, 0)::bigint AS ws, COALESCE(s.b, 0)::bigint AS st
       FROM users u LEFT JOIN m ON m.uid = u.id LEFT JOIN w ON w.uid = u.id LEFT JOIN s ON s.uid = u.id
      WHERE u."realmId" = $1`,
    [realmId],
  );
  const drift: Array<{ userId: string; was: bigint; now: bigint }> = [];
  for (const row of r.rows) {
    const total = BigInt(row.msg) + BigInt(row.ws) + BigInt(row.st);
    if (total !== BigInt(row.was)) {
      drift.push({ userId: row.id, was: BigInt(row.was), now: total });
      await pool.query(
        `UPDATE users SET "bytesUsed" = $2, "messageBytes" = $3, "workspaceBytes" = $4, "settingsBytes" = $5 WHERE id = $1`,
        [row.id, total.toString(), row.msg.toString(), row.ws.toString(), row.st.toString()],
      );
    }
  }
  return drift;
}

/**
 * Bytes held here on behalf of another realm (messages and workspace changes it forwarded):
 * charged to federation_peers.bytesHeld if they fit the per-remote-realm allowance `max`.
 */
export async function chargePeerBytes(
  db: Queryable,
  peerRealmId: string,
  delta: bigint,
  max: number,
): Promise<boolean> {
  if (delta <= 0n) return true;
  const r = await db.query(
    named(
      `UPDATE federation_peers SET "bytesHeld" = "bytesHeld" + $2 WHERE "realmId" = $1 AND "bytesHeld" + $2 <= $3`,
      [peerRealmId, delta.toString(), max],
    ),
  );
  return r.rowCount === 1;
}

/** Releases bytes held for another realm (never below zero). */
export async function releasePeerBytes(db: Queryable, peerRealmId: string, delta: bigint): Promise<void> {
  if (delta <= 0n) return;
  await db.query(
    named(`UPDATE federation_peers SET "bytesHeld" = GREATEST("bytesHeld" - $2, 0) WHERE "realmId" = $1`, [
      peerRealmId,
      delta.toString(),
    ]),
  );
}
