// Deleting an account (the user on /account with their password again, or an operator from the
// console), in ONE transaction:
//  - the messages they sent and that are still held here (unsent drafts, and sent ones not yet
//    downloaded by every recipient) are retracted: gone from every recipient's inbox; queued
//    forwards to other realms are cancelled (copies already handed to another realm stay there);
//  - their own entries in other people's messages go; a message left with no recipient is
//    dropped and its bytes released from its sender, exactly as when the last recipient deletes it;
//  - they leave every workspace (unsealed uploads dropped, changes others still wait for stay
//    but are charged to nobody), their cursors go, a mirror tells its home realm;
//  - the user row goes with computers and settings; the realm's user count drops by one;
//  - live sessions are closed (CHANNELS.user) and the deletion is written to the audit log.
// Every byte charged to them is released: their counters go with the row, and the data behind
// the counters is deleted or no longer charged to anyone.
import type pg from "pg";
import { dropMessage } from "./messages.ts";
import { tx } from "../db/tx.ts";
import { detach } from "./workspaces.ts";
import { queueWorkspaceEvent } from "./workspace-federation.ts";
import { DomainError } from "./errors.ts";
import { named } from "../db/named.ts";
import { CHANNELS, notify } from "../db/notify.ts";

export interface DeletionActor {
  /** Operator id, or null for the user themself. */
  id: string | null;
  /** e.g. "user:alice" or "ADMIN:admin" (audit log). */
  label: string;
  ip?: string | null;
}

export interface DeletionReport {
  userId: string;
  fullId: string;
  /** bytesUsed of the account when it was deleted (all of it released). */
  bytesReleased: bigint;
  messagesRetracted: number;
  inboundEntriesRemoved: number;
  /** Other users' messages dropped because this user was their last recipient. */
  inboundMessagesDropped: number;
  workspacesLeft: number;
}

export async function deleteAccount(pool: pg.Pool, userId: string, actor: DeletionActor): Promise<DeletionReport> {
  return tx(pool, async (c) => {
    const u = await c.query<{
      realmId: string;
      username: string;
      bytesUsed: bigint;
      messageBytes: bigint;
      workspaceBytes: bigint;
      settingsBytes: bigint;
      status: string;
      createdAt: Date;
    }>(
      named(
        `SELECT "realmId", username, "bytesUsed", "messageBytes", "workspaceBytes", "settingsBytes", status, "createdAt"
           FROM users WHERE id = $1 FOR UPDATE`,
        [userId],
      ),
    );
    const user = u.rows[0];
    if (!user) throw new DomainError("NOSUCHUSER", "No such user.");
    const fullId = `${user.realmId}::${user.username}`;

    // Workspaces first (in id order, the order every other path locks them in).
    const ws = await c.query<{ workspaceId: string; memberId: string; homeRealmId: string | null }>(
      named(
        `SELECT m."workspaceId", m."memberId", w."homeRealmId" FROM workspace_members m JOIN workspaces w ON w.id = m."workspaceId"
          WHERE m."userId" = $1 AND m.status NOT IN ('LEFT', 'REMOVED') ORDER BY m."workspaceId"`,
        [userId],
      ),
    );
    for (const m of ws.rows) {
      await c.query(named(`SELECT 1 FROM workspaces WHERE id = $1 FOR NO KEY UPDATE`, [m.workspaceId]));
      await c.query(
        named(
          `UPDATE workspace_members SET status = 'LEFT', "userId" = NULL WHERE "workspaceId" = $1 AND "memberId" = $2`,
          [m.workspaceId, m.memberId],
        ),
      );
      if (m.homeRealmId) await queueWorkspaceEvent(c, "ws-leave", m.homeRealmId, m.workspaceId, m.memberId);
      await detach(c, m.workspaceId, m.memberId);
    }
    await c.query(named(`UPDATE workspace_members SET "userId" = NULL WHERE "userId" = $1`, [userId]));
    // Sealed changes other members still wait for stay until acknowledged, charged to nobody.
    await c.query(named(`UPDATE workspace_changes SET "authorUserId" = NULL WHERE "authorUserId" = $1`, [userId]));

    // Their messages: retracted, queued forwards cancelled.
    const own = await c.query<{ id: bigint }>(
      named(`SELECT id FROM messages WHERE "senderUserId" = $1 ORDER BY id FOR UPDATE`, [userId]),
    );
    const ownIds = own.rows.map((r) => r.id.toString());
    if (ownIds.length) {
      await c.query(
        named(`DELETE FROM federation_outbox WHERE "messageId" = ANY($1::bigint[]) AND "deliveredAt" IS NULL`, [
          ownIds,
        ]),
      );
      await c.query(named(`DELETE FROM messages WHERE id = ANY($1::bigint[])`, [ownIds]));
    }

    // Their entries in other people's messages; a message left without recipients is dropped.
    const entries = await c.query<{ messageId: bigint }>(
      named(`DELETE FROM message_recipients WHERE "userId" = $1 RETURNING "messageId"`, [userId]),
    );
    const touched = [...new Set(entries.rows.map((r) => r.messageId.toString()))].sort();
    let dropped = 0;
    for (const id of touched) {
      const m = await c.query<{ id: bigint; senderUserId: string | null; size: bigint }>(
        named(
          `SELECT id, "senderUserId", size FROM messages m WHERE id = $1
              AND NOT EXISTS (SELECT 1 FROM message_recipients r WHERE r."messageId" = m.id) FOR UPDATE`,
          [id],
        ),
      );
      if (m.rows[0]) {
        await dropMessage(c, { ...m.rows[0], size: BigInt(m.rows[0].size) });
        dropped++;
      }
    }

    await c.query(named(`DELETE FROM presences WHERE "userId" = $1`, [userId]));
    await c.query(named(`DELETE FROM users WHERE id = $1`, [userId]));
    await c.query(named(`UPDATE realms SET "userCount" = GREATEST("userCount" - 1, 0) WHERE id = $1`, [user.realmId]));
    const report: DeletionReport = {
      userId,
      fullId,
      bytesReleased: BigInt(user.bytesUsed),
      messagesRetracted: ownIds.length,
      inboundEntriesRemoved: entries.rowCount ?? 0,
      inboundMessagesDropped: dropped,
      workspacesLeft: ws.rows.length,
    };
    await c.query(
      named(
        `INSERT INTO audit_log ("actorId", "actorLabel", action, "targetType", "targetId", "realmId", before, after, ip)
         VALUES ($1, $2, 'user.delete', 'user', $3, $4, $5, $6, $7)`,
        [
          actor.id,
          actor.label,
          userId,
          user.realmId,
          JSON.stringify({
            username: user.username,
            status: user.status,
            createdAt: user.createdAt,
            bytesUsed: String(user.bytesUsed),
            messageBytes: String(user.messageBytes),
            workspaceBytes: String(user.workspaceBytes),
            settingsBytes: String(user.settingsBytes),
          }),
          JSON.stringify({ ...report, bytesReleased: String(report.bytesReleased) }),
          actor.ip ?? null,
        ],
      ),
    );
    await notify(c, CHANNELS.user, userId);
    return report;
  });
}
