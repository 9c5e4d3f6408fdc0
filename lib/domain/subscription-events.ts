// What makes a `subscriptionevent`: a computer coming online or going offline (status), a
// setting written or deleted (setting), and subscriptions ended for their subscriber (direct:
// deleted with their target, or revoked by a visibility change). The NOTIFY (channel
// og_subscription, delivered at commit on every daemon instance) names only the target; each
// instance then asks which of ITS connected users hold a matching subscription (one query per
// event per instance), with the visibility rule applied at that moment too.
import type pg from "pg";
import { CHANNELS } from "../db/notify.ts";
import { canSeeSql } from "./visibility.ts";
import type { SubscriptionLine } from "./subscriptions.ts";

type Queryable = pg.Pool | pg.ClientBase;

export type SubscriptionNotice =
  | { k: "status"; u: string; c: string }
  | { k: "setting"; u: string; c: string; key: string }
  | { k: "direct"; to: string; line: SubscriptionLine };

/** SQL: notify only when someone subscribes to the target at all (the common case is no one). */
const IF_SUBSCRIBED = `WHERE EXISTS (SELECT 1 FROM subscriptions WHERE "targetUserId" = $2)`;

/** A computer of `userId` came online or went offline. */
export async function notifyStatus(db: Queryable, userId: string, computer: string): Promise<void> {
  await db.query(`SELECT pg_notify($1, $3) ${IF_SUBSCRIBED}`, [
    CHANNELS.subscription,
    userId,
    JSON.stringify({ k: "status", u: userId, c: computer } satisfies SubscriptionNotice),
  ]);
}

/**
 * A user setting (computer "") or computer setting changed. When it was deleted, subscriptions
 * with deletewithtarget on exactly that setting end now: their subscribers get the event
 * directly (the general event would find the subscription gone).
 */
export async function notifySetting(
  db: Queryable,
  userId: string,
  computer: string,
  key: string,
  deleted: boolean,
): Promise<void> {
  if (deleted) {
    const gone = await db.query<{ userId: string; type: string; onUser: string; onComputer: string }>(
      `DELETE FROM subscriptions s USING users t
        WHERE s."targetUserId" = $1 AND t.id = s."targetUserId" AND s."deleteWithTarget" AND s."onSetting" = $3
          AND ((s.type = 'usersetting' AND $2 = '') OR (s.type = 'computersetting' AND $2 <> '' AND s."onComputer" = $2))
        RETURNING s."userId", s.type, t."realmId" || '::' || t.username AS "onUser", s."onComputer"`,
      [userId, computer, key],
    );
    for (const x of gone.rows) await notifyDirect(db, x.userId, [x.type, x.onUser, x.onComputer, key, "true"]);
  }
  await db.query(`SELECT pg_notify($1, $3) ${IF_SUBSCRIBED}`, [
    CHANNELS.subscription,
    userId,
    JSON.stringify({ k: "setting", u: userId, c: computer, key } satisfies SubscriptionNotice),
  ]);
}

/** A computer was deleted: its computerstatus/computersetting subscriptions with deletewithtarget end. */
export async function endComputerSubscriptions(db: Queryable, userId: string, computer: string): Promise<void> {
  const gone = await db.query<{ userId: string; type: string; onUser: string; onSetting: string }>(
    `DELETE FROM subscriptions s USING users t
      WHERE s."targetUserId" = $1 AND t.id = s."targetUserId" AND s."deleteWithTarget" AND s."onComputer" = $2
      RETURNING s."userId", s.type, t."realmId" || '::' || t.username AS "onUser", s."onSetting"`,
    [userId, computer],
  );
  for (const x of gone.rows) await notifyDirect(db, x.userId, [x.type, x.onUser, computer, x.onSetting, "true"]);
}

async function notifyDirect(db: Queryable, to: string, line: SubscriptionLine): Promise<void> {
  await db.query(`SELECT pg_notify($1, $2)`, [
    CHANNELS.subscription,
    JSON.stringify({ k: "direct", to, line } satisfies SubscriptionNotice),
  ]);
}

/**
 * Which of `subscriberIds` (users connected to the calling instance) hold a subscription that
 * this event matches, with the subscription line each is told. Status events need the right
 * to see the target at this moment.
 */
export async function matchSubscribers(
  db: Queryable,
  ev: Exclude<SubscriptionNotice, { k: "direct" }>,
  subscriberIds: readonly string[],
): Promise<Array<{ userId: string; line: SubscriptionLine }>> {
  const match =
    ev.k === "status"
      ? `(s.type = 'userstatus' OR (s.type = 'computerstatus' AND s."onComputer" = $3)) AND ${canSeeSql('s."userId"', "t")}`
      : `s."onSetting" = $4 AND (($3 = '' AND s.type = 'usersetting')
           OR ($3 <> '' AND s.type = 'computersetting' AND (s."onComputer" = $3 OR s."onComputer" = '')))`;
  const r = await db.query<{
    userId: string;
    type: string;
    onUser: string;
    onComputer: string;
    onSetting: string;
    dwt: boolean;
  }>(
    `SELECT s."userId", s.type, t."realmId" || '::' || t.username AS "onUser", s."onComputer", s."onSetting",
            s."deleteWithTarget" AS dwt
       FROM subscriptions s JOIN users t ON t.id = s."targetUserId"
      WHERE s."targetUserId" = $1 AND s."userId" = ANY($2::text[]) AND ${match} ORDER BY s.id`,
    // An unused parameter would have no type: the key only for setting events.
    ev.k === "setting" ? [ev.u, subscriberIds, ev.c, ev.key] : [ev.u, subscriberIds, ev.c],
  );
  return r.rows.map((x) => ({
    userId: x.userId,
    line: [x.type, x.onUser, x.onComputer, x.onSetting, String(x.dwt)],
  }));
}
