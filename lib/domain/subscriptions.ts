// Subscriptions (createsubscription, listsubscriptions, deletesubscription): a user asks to be
// told (`subscriptionevent`) when another user's status, one of its computers' status, or a
// public user or computer setting changes. Same-realm targets only. Counted against the realm's
// maxSubscriptionsPerUser (the original's "subscriptions" quota, 1000) under a lock on the
// subscriber's row, so concurrent creates never pass it. Status subscriptions need the right to
// see the target (visibility.ts), checked here and again whenever the target changes it.
import type pg from "pg";
import { tx } from "../db/tx.ts";
import { DomainError } from "./errors.ts";
import { canSee } from "./visibility.ts";

export const SUBSCRIPTION_TYPES = ["userstatus", "usersetting", "computerstatus", "computersetting"] as const;
export type SubscriptionType = (typeof SUBSCRIPTION_TYPES)[number];

export interface SubscriptionSpec {
  type: SubscriptionType;
  targetUserId: string;
  onComputer: string;
  onSetting: string;
  deleteWithTarget: boolean;
}

/** A subscription as the protocol writes it: type, onuser (full id), oncomputer, onsetting, deletewithtarget. */
export type SubscriptionLine = [string, string, string, string, string];

/**
 * Checks the five createsubscription fields (after the target user was resolved). BADARGUMENTS
 * names what is wrong: an unknown type, a field given where it does not apply or missing where
 * it does, a deletewithtarget other than true/false.
 */
export function parseSubscription(
  f: { type: string; onComputer: string; onSetting: string; deleteWithTarget: string },
  targetUserId: string,
): SubscriptionSpec {
  const type = f.type.trim().toLowerCase() as SubscriptionType;
  if (!SUBSCRIPTION_TYPES.includes(type))
    throw new DomainError("BADARGUMENTS", `type must be one of ${SUBSCRIPTION_TYPES.join(", ")}`);
  const dwt = f.deleteWithTarget.trim().toLowerCase();
  if (dwt !== "true" && dwt !== "false")
    throw new DomainError("BADARGUMENTS", "deletewithtarget must be true or false");
  const computerType = type.startsWith("computer");
  const settingType = type.endsWith("setting");
  if (!computerType && f.onComputer)
    throw new DomainError("BADARGUMENTS", `oncomputer does not apply to ${type}; leave it empty`);
  if (type === "computerstatus" && !f.onComputer)
    throw new DomainError("BADARGUMENTS", "computerstatus needs oncomputer");
  if (!settingType && f.onSetting)
    throw new DomainError("BADARGUMENTS", `onsetting does not apply to ${type}; leave it empty`);
  if (settingType && !f.onSetting) throw new DomainError("BADARGUMENTS", `${type} needs onsetting`);
  return { type, targetUserId, onComputer: f.onComputer, onSetting: f.onSetting, deleteWithTarget: dwt === "true" };
}

/**
 * Creates a subscription for `userId`. UNAUTHORIZED for another user's status the subscriber
 * may not see, or another user's non-public setting; NOSUCHCOMPUTER for an unknown computer;
 * ALREADYEXISTS for the same subscription; QUOTAEXCEEDED at the realm's limit.
 */
export async function createSubscription(pool: pg.Pool, userId: string, s: SubscriptionSpec): Promise<void> {
  const self = s.targetUserId === userId;
  if (s.type.endsWith("status") && !self && !(await canSee(pool, userId, s.targetUserId)))
    throw new DomainError("UNAUTHORIZED", "this user does not share their online status with you");
  if (s.type.endsWith("setting") && !self && !s.onSetting.startsWith("public-"))
    throw new DomainError(
      "UNAUTHORIZED",
      'only settings whose key starts with "public-" can be subscribed to for other users',
    );
  if (s.onComputer) {
    const c = await pool.query(`SELECT 1 FROM computers WHERE "userId" = $1 AND name = $2`, [
      s.targetUserId,
      s.onComputer,
    ]);
    if (!c.rowCount) throw new DomainError("NOSUCHCOMPUTER", `that user has no computer "${s.onComputer}"`);
  }
  await tx(pool, async (c) => {
    // The subscriber's row lock serialises its creates. The count is a separate statement on
    // purpose: under READ COMMITTED it then sees the rows committed by whoever held the lock
    // before (a subquery in the locking statement would use the snapshot from before the wait).
    const u = await c.query<{ max: number }>(
      `SELECT r."maxSubscriptionsPerUser" AS max FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1 FOR UPDATE OF u`,
      [userId],
    );
    if (!u.rows[0]) throw new DomainError("NOSUCHUSER", "account not found");
    if ((await countSubscriptions(c, userId)) >= u.rows[0].max)
      throw new DomainError("QUOTAEXCEEDED", `you may have at most ${u.rows[0].max} subscriptions`);
    const ins = await c.query(
      `INSERT INTO subscriptions ("userId", type, "targetUserId", "onComputer", "onSetting", "deleteWithTarget")
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [userId, s.type, s.targetUserId, s.onComputer, s.onSetting, s.deleteWithTarget],
    );
    if (!ins.rowCount) throw new DomainError("ALREADYEXISTS", "you already have this subscription");
  });
}

/** NOSUCHSUBSCRIPTION when the subscriber has no subscription with exactly these fields. */
export async function deleteSubscription(pool: pg.Pool, userId: string, s: SubscriptionSpec): Promise<void> {
  const r = await pool.query(
    `DELETE FROM subscriptions WHERE "userId" = $1 AND type = $2 AND "targetUserId" = $3 AND "onComputer" = $4
        AND "onSetting" = $5 AND "deleteWithTarget" = $6`,
    [userId, s.type, s.targetUserId, s.onComputer, s.onSetting, s.deleteWithTarget],
  );
  if (!r.rowCount) throw new DomainError("NOSUCHSUBSCRIPTION", "you have no subscription with these fields");
}

/** The subscriber's subscriptions, oldest first. */
export async function listSubscriptions(db: pg.Pool | pg.PoolClient, userId: string): Promise<SubscriptionLine[]> {
  const r = await db.query<{ type: string; onUser: string; onComputer: string; onSetting: string; dwt: boolean }>(
    `SELECT s.type, t."realmId" || '::' || t.username AS "onUser", s."onComputer", s."onSetting", s."deleteWithTarget" AS dwt
       FROM subscriptions s JOIN users t ON t.id = s."targetUserId" WHERE s."userId" = $1 ORDER BY s.id`,
    [userId],
  );
  return r.rows.map((x) => [x.type, x.onUser, x.onComputer, x.onSetting, String(x.dwt)]);
}

export async function countSubscriptions(db: pg.Pool | pg.PoolClient, userId: string): Promise<number> {
  const r = await db.query<{ n: string }>(`SELECT count(*) AS n FROM subscriptions WHERE "userId" = $1`, [userId]);
  return Number(r.rows[0].n);
}
