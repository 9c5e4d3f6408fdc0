// A user's computers. Deleting one is shared by the protocol's deletecomputer command and the
// web account page, so both release the same bytes and leave the same rows behind.
import type pg from "pg";
import { DomainError } from "./errors.ts";
import { deleteMessage, type Caller } from "./messages.ts";
import { notify, CHANNELS } from "../db/notify.ts";

export interface ComputerOwner {
  realmId: string;
  userId: string;
  /** realm id + "::" + username */
  fullId: string;
}

/**
 * Deletes a computer of the user. Its pending deliveries are deleted as that computer would
 * delete them, so the senders' bytes are released when it was the last recipient; then its
 * remaining delivery entries, its settings and the computer itself go. A user-change
 * notification then makes every realm-daemon instance close that computer's live sessions
 * with `banned`.
 * NOSUCHCOMPUTER when the user has no computer of that name.
 */
export async function deleteComputer(pool: pg.Pool, owner: ComputerOwner, name: string): Promise<void> {
  const exists = await pool.query(`SELECT 1 FROM computers WHERE "userId" = $1 AND name = $2`, [owner.userId, name]);
  if (!exists.rowCount) throw new DomainError("NOSUCHCOMPUTER", `no computer "${name}"`);
  const pending = await pool.query<{ messageId: string }>(
    `SELECT m."messageId" FROM message_recipients mr JOIN messages m ON m.id = mr."messageId" WHERE mr."userId" = $1 AND mr.computer = $2 AND m."sentAt" IS NOT NULL`,
    [owner.userId, name],
  );
  const as: Caller = { ...owner, computer: name };
  for (const p of pending.rows) await deleteMessage(pool, as, p.messageId).catch(() => undefined);
  await pool.query(`DELETE FROM message_recipients WHERE "userId" = $1 AND computer = $2`, [owner.userId, name]);
  await pool.query(`DELETE FROM settings WHERE "userId" = $1 AND computer = $2`, [owner.userId, name]);
  await pool.query(`DELETE FROM computers WHERE "userId" = $1 AND name = $2`, [owner.userId, name]);
  await notify(pool, CHANNELS.user, owner.userId);
}
