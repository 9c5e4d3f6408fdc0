// Storage accounting. users.bytesUsed is a maintained counter (= messageBytes + workspaceBytes
// + settingsBytes) so reading a user's usage is one row, and every charge is ONE conditional
// UPDATE: concurrent writers can never push an account over its quota, not by a single byte.
// `recomputeUsage` is the consistency check that rebuilds the counters from the data.
import type pg from "pg";
import { named } from "../db/named.ts";
import { effectiveQuotaSql } from "./quota-rule.ts";
import { tx } from "../db/tx.ts";

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
 *
 * Atomic against concurrent writers: users are taken in chunks, each chunk's rows locked FOR
 * UPDATE first (in id order, as every writer locks them); then ONE statement, whose snapshot is
 * taken after the locks, computes the totals and writes them. Every writer changes its data and
 * the counter in one transaction and must take the user row lock to change the counter, so a
 * send that commits while we wait is in the totals, and one still waiting for our lock adds its
 * delta after our write: no charge is ever overwritten by a figure computed earlier.
 */
export async function recomputeUsage(
  pool: pg.Pool,
  realmId: string,
  opts: { chunk?: number } = {},
): Promise<Array<{ userId: string; was: bigint; now: bigint }>> {
  const drift: Array<{ userId: string; was: bigint; now: bigint }> = [];
  let after = "";
  for (;;) {
    const rows = await tx(pool, async (c) => {
      const ids = await c.query<{ id: string }>(
        `SELECT id FROM users WHERE "realmId" = $1 AND id > $2 ORDER BY id LIMIT $3 FOR UPDATE`,
        [realmId, after, opts.chunk ?? 500],
      );
      if (!ids.rows.length) return null;
      const list = ids.rows.map((r) => r.id);
      after = list[list.length - 1];
      const r = await c.query<{ id: string; was: string; now: string }>(
        `WITH m AS (SELECT "senderUserId" AS uid, sum(size + "overheadBytes") AS b FROM messages
                     WHERE "realmId" = $1 AND "senderUserId" = ANY($2::text[]) GROUP BY 1),
              w AS (SELECT "authorUserId" AS uid, sum(size) AS b FROM workspace_changes c JOIN workspaces ws ON ws.id = c."workspaceId"
                     WHERE ws."realmId" = $1 AND "authorUserId" = ANY($2::text[]) GROUP BY 1),
              s AS (SELECT "userId" AS uid, sum(octet_length(key) + octet_length(value)) AS b FROM settings
                     WHERE "userId" = ANY($2::text[]) GROUP BY 1),
              calc AS (SELECT u.id, u."bytesUsed" AS was, COALESCE(m.b, 0)::bigint AS msg, COALESCE(w.b, 0)::bigint AS ws,
                              COALESCE(s.b, 0)::bigint AS st, u."messageBytes" AS wm, u."workspaceBytes" AS ww, u."settingsBytes" AS wst
                         FROM users u LEFT JOIN m ON m.uid = u.id LEFT JOIN w ON w.uid = u.id LEFT JOIN s ON s.uid = u.id
                        WHERE u.id = ANY($2::text[])),
              bad AS (SELECT * FROM calc WHERE was <> msg + ws + st OR wm <> msg OR ww <> ws OR wst <> st),
              upd AS (UPDATE users u SET "bytesUsed" = bad.msg + bad.ws + bad.st, "messageBytes" = bad.msg,
                             "workspaceBytes" = bad.ws, "settingsBytes" = bad.st
                        FROM bad WHERE u.id = bad.id)
         SELECT id, was::text, (msg + ws + st)::text AS now FROM bad ORDER BY id`,
        [realmId, list],
      );
      return r.rows;
    });
    if (!rows) break;
    for (const x of rows) drift.push({ userId: x.id, was: BigInt(x.was), now: BigInt(x.now) });
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

export interface RealmStorageFigures {
  slug: string;
  /** Bytes charged to the realm's users. */
  bytes: number;
  /** Deliveries of sealed messages waiting for a recipient computer. */
  waiting: number;
}

/**
 * The per-realm figures behind /metrics' storage gauges. Aggregates over users and deliveries:
 * the realm daemon runs this on a slow timer (`metricsRefreshMs`) and scrapes read the last
 * result, so the cost does not grow with how often (or by how many) /metrics is scraped.
 */
export async function realmStorageFigures(pool: pg.Pool): Promise<RealmStorageFigures[]> {
  const r = await pool.query<{ slug: string; bytes: string; waiting: string }>(
    `SELECT r.slug, COALESCE((SELECT sum("bytesUsed") FROM users u WHERE u."realmId" = r.id), 0)::text AS bytes,
            (SELECT count(*) FROM message_recipients mr JOIN messages m ON m.id = mr."messageId" WHERE m."realmId" = r.id AND m."sentAt" IS NOT NULL)::text AS waiting
       FROM realms r`,
  );
  return r.rows.map((x) => ({ slug: x.slug, bytes: Number(x.bytes), waiting: Number(x.waiting) }));
}
