// Visibility (setvisibility): who may see a user's online status (getuserstatus, status
// subscriptions) and find the user with searchusers. The original realm server had a boolean
// "publicly listed" flag; its later design (g5 relays.txt) let a user choose whether everyone,
// only their contacts, or no-one may monitor their presence. Contacts here are the people the
// user shares a workspace with (both ACTIVE members), Groove's notion of "known users".
import type pg from "pg";
import { CHANNELS } from "../db/notify.ts";
import { tx } from "../db/tx.ts";
import { UserVisibility } from "../generated/prisma/enums.ts";
import { DomainError } from "./errors.ts";

export { UserVisibility };

type Queryable = pg.Pool | pg.PoolClient;

/**
 * SQL condition: may the viewer (a user id expression) see target `t` (an alias of users)?
 * Oneself always; otherwise by the target's visibility.
 */
export function canSeeSql(viewer: string, t: string): string {
  return `(${viewer} = ${t}.id OR ${t}.visibility = 'EVERYONE' OR (${t}.visibility = 'CONTACTS' AND EXISTS (
    SELECT 1 FROM workspace_members wa JOIN workspace_members wb ON wb."workspaceId" = wa."workspaceId"
     WHERE wa."userId" = ${t}.id AND wb."userId" = ${viewer} AND wa.status = 'ACTIVE' AND wb.status = 'ACTIVE')))`;
}

/** Whether viewerId may see targetId's online status. */
export async function canSee(db: Queryable, viewerId: string, targetId: string): Promise<boolean> {
  const r = await db.query<{ ok: boolean }>(`SELECT ${canSeeSql("$1", "t")} AS ok FROM users t WHERE t.id = $2`, [
    viewerId,
    targetId,
  ]);
  return r.rows[0]?.ok ?? false;
}

/** The protocol's words: the original's true/false, and the three levels. */
export function parseVisibility(word: string): UserVisibility | null {
  switch (word.trim().toLowerCase()) {
    case "true":
    case "everyone":
      return UserVisibility.EVERYONE;
    case "contacts":
      return UserVisibility.CONTACTS;
    case "false":
    case "nobody":
      return UserVisibility.NOBODY;
    default:
      return null;
  }
}

export async function getVisibility(db: Queryable, userId: string): Promise<UserVisibility> {
  const r = await db.query<{ visibility: UserVisibility }>(`SELECT visibility FROM users WHERE id = $1`, [userId]);
  if (!r.rows[0]) throw new DomainError("NOSUCHUSER", "account not found");
  return r.rows[0].visibility;
}

export interface Revoked {
  subscriberId: string;
  /** The subscription's five fields, as createsubscription takes them. */
  line: string[];
}

/**
 * Sets the user's visibility and, in the same transaction, deletes the status subscriptions
 * (userstatus, computerstatus) of subscribers who may no longer see the user. Each of them is
 * told with a last `subscriptionevent` carrying the subscription (as the original told a
 * subscriber that something changed): its next getuserstatus answers UNAUTHORIZED and
 * listsubscriptions no longer lists it.
 */
export async function setVisibility(pool: pg.Pool, userId: string, v: UserVisibility): Promise<Revoked[]> {
  return tx(pool, async (c) => {
    await c.query(`UPDATE users SET visibility = $2 WHERE id = $1`, [userId, v]);
    const r = await c.query<{ subscriberId: string; type: string; onUser: string; onComputer: string; dwt: boolean }>(
      `DELETE FROM subscriptions s USING users t
        WHERE s."targetUserId" = $1 AND t.id = s."targetUserId" AND s.type IN ('userstatus', 'computerstatus')
          AND NOT ${canSeeSql('s."userId"', "t")}
        RETURNING s."userId" AS "subscriberId", s.type, t."realmId" || '::' || t.username AS "onUser",
                  s."onComputer", s."deleteWithTarget" AS dwt`,
      [userId],
    );
    const revoked = r.rows.map((x) => ({
      subscriberId: x.subscriberId,
      line: [x.type, x.onUser, x.onComputer, "", String(x.dwt)],
    }));
    for (const x of revoked)
      await c.query(`SELECT pg_notify($1, $2)`, [
        CHANNELS.subscription,
        JSON.stringify({ k: "direct", to: x.subscriberId, line: x.line }),
      ]);
    return revoked;
  });
}
