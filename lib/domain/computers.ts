// A user's computers: created under the realm's per-user limit, listed, deleted. Deleting one is shared by the protocol's deletecomputer command and the
// web account page, so both release the same bytes and leave the same rows behind.
import { endComputerSubscriptions } from "./subscription-events.ts";
import type pg from "pg";
import { DomainError } from "./errors.ts";
import { deleteMessageIn, dropOrphanedMessages, type Caller } from "./messages.ts";
import { freeAcked } from "./workspace-gc.ts";
import { queueMirrorAck } from "./workspace-federation.ts";
import { notify, CHANNELS } from "../db/notify.ts";
import { tx } from "../db/tx.ts";

export interface ComputerOwner {
  realmId: string;
  userId: string;
  /** realm id + "::" + username */
  fullId: string;
}

/**
 * Deletes a computer of the user, in one transaction: its pending deliveries are deleted as that
 * computer would delete them (the senders' bytes are released when it was the last recipient),
 * its workspace cursors go and the changes only it still pinned are freed (a computer created
 * later under the same name starts at each workspace's head, docs/protocol.md §9), then its
 * remaining delivery entries, its settings and the computer itself. A user-change notification
 * (sent at commit) makes every realm-daemon instance close that computer's live sessions with
 * `banned`. NOSUCHCOMPUTER when the user has no computer of that name.
 */
export async function deleteComputer(pool: pg.Pool, owner: ComputerOwner, name: string): Promise<void> {
  await tx(pool, async (c) => {
    const exists = await c.query(`SELECT 1 FROM computers WHERE "userId" = $1 AND name = $2 FOR UPDATE`, [
      owner.userId,
      name,
    ]);
    if (!exists.rowCount) throw new DomainError("NOSUCHCOMPUTER", `no computer "${name}"`);
    const pending = await c.query<{ messageId: string }>(
      `SELECT m."messageId" FROM message_recipients mr JOIN messages m ON m.id = mr."messageId" WHERE mr."userId" = $1 AND mr.computer = $2 AND m."sentAt" IS NOT NULL ORDER BY m.id`,
      [owner.userId, name],
    );
    const as: Caller = { ...owner, computer: name };
    for (const p of pending.rows) {
      // NOSUCHMESSAGE: deleted meanwhile (a check in JS, no SQL error: the transaction goes on).
      await deleteMessageIn(c, as, p.messageId).catch((e: unknown) => {
        if (!(e instanceof DomainError)) throw e;
      });
    }
    // Its entries in messages not yet sealed (and in any sealed meanwhile). A message left with
    // no recipient at all is dropped at once and its bytes given back to the sender, rather than
    // being sealed to nobody and charged until retention.
    const left = await c.query<{ messageId: string }>(
      `DELETE FROM message_recipients WHERE "userId" = $1 AND computer = $2 RETURNING "messageId"::text`,
      [owner.userId, name],
    );
    await dropOrphanedMessages(c, [...new Set(left.rows.map((r) => r.messageId))]);
    await c.query(`DELETE FROM settings WHERE "userId" = $1 AND computer = $2`, [owner.userId, name]);
    await c.query(`DELETE FROM computers WHERE "userId" = $1 AND name = $2`, [owner.userId, name]);
    await endComputerSubscriptions(c, owner.userId, name);
    // Workspace cursors, each under its workspace's lock (as every cursor change), in id order.
    const ws = await c.query<{ workspaceId: string }>(
      `SELECT DISTINCT "workspaceId" FROM workspace_cursors WHERE "memberId" = $1 AND computer = $2 ORDER BY "workspaceId"`,
      [owner.fullId, name],
    );
    for (const { workspaceId } of ws.rows) {
      const w = await c.query<{ homeRealmId: string | null }>(
        `SELECT "homeRealmId" FROM workspaces WHERE id = $1 FOR NO KEY UPDATE`,
        [workspaceId],
      );
      await c.query(`DELETE FROM workspace_cursors WHERE "workspaceId" = $1 AND "memberId" = $2 AND computer = $3`, [
        workspaceId,
        owner.fullId,
        name,
      ]);
      await freeAcked(c, workspaceId);
      // On a mirror, the member's other computers may now be the lowest: the home realm is told.
      if (w.rows[0]?.homeRealmId) await queueMirrorAck(c, workspaceId, owner.fullId, w.rows[0].homeRealmId);
    }
    await notify(c, CHANNELS.user, owner.userId);
  });
}

/**
 * Adds a computer to the user's account. QUOTAEXCEEDED past the realm's computers-per-user
 * limit (the user row is locked, so parallel calls cannot exceed it); ALREADYEXISTS for a name
 * in use. Messages addressed to "all computers" while the user had none go to this one.
 */
export async function createComputer(pool: pg.Pool, userId: string, name: string): Promise<void> {
  await tx(pool, async (c) => {
    const u = await c.query<{ max: number }>(
      `SELECT r."maxComputersPerUser" AS max FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1 FOR UPDATE OF u`,
      [userId],
    );
    const n = await c.query<{ n: string }>(`SELECT count(*) AS n FROM computers WHERE "userId" = $1`, [userId]);
    if (Number(n.rows[0].n) >= u.rows[0].max)
      throw new DomainError(
        "QUOTAEXCEEDED",
        `this realm allows at most ${u.rows[0].max} computers per user; delete one first`,
      );
    const ins = await c.query(
      `INSERT INTO computers (id, "userId", name) VALUES (gen_random_uuid(), $1, $2) ON CONFLICT ("userId", name) DO NOTHING`,
      [userId, name],
    );
    if (!ins.rowCount) throw new DomainError("ALREADYEXISTS", `you already have a computer named "${name}"`);
    await c.query(`UPDATE message_recipients SET computer = $2 WHERE "userId" = $1 AND computer = ''`, [userId, name]);
  });
}

/** The user's computer names, oldest first. */
export async function listComputers(pool: pg.Pool, userId: string): Promise<string[]> {
  const r = await pool.query<{ name: string }>(
    `SELECT name FROM computers WHERE "userId" = $1 ORDER BY "createdAt", name`,
    [userId],
  );
  return r.rows.map((x) => x.name);
}
