// Immediate messages (sendimessage): stored for a moment, their id notified. A NOTIFY payload is
// limited to 8,000 bytes, so carrying the body in it capped immediate messages near 7.9 KB
// although the limit is 16 KiB; now the payload is a few ids whatever the body's size, and the
// instance that holds the recipient's connection reads the body by id.
import type pg from "pg";
import { CHANNELS } from "../db/notify.ts";

export interface ImmediateMessage {
  userId: string;
  computer: string;
  fromUserId: string;
  fromComputer: string;
  body: string;
}

/** The NOTIFY payload on CHANNELS.imessage. */
export interface ImmediateNotice {
  id: string;
  userId: string;
  computer: string;
}

/** Stores the message and notifies its id, in one statement (so one round trip, one commit); returns the id. */
export async function postImmediateMessage(pool: pg.Pool, m: ImmediateMessage): Promise<string> {
  const r = await pool.query<{ id: string }>(
    `WITH m AS (
       INSERT INTO immediate_messages ("userId", computer, "fromUserId", "fromComputer", body)
       VALUES ($1, $2, $3, $4, $5) RETURNING id
     )
     SELECT m.id::text AS id, pg_notify($6, json_build_object('id', m.id::text, 'userId', $1::text, 'computer', $2::text)::text) FROM m`,
    [m.userId, m.computer, m.fromUserId, m.fromComputer, m.body, CHANNELS.imessage],
  );
  return r.rows[0].id;
}

/**
 * Takes the message for pushing (the instance holding the recipient): marks it delivered and
 * returns it, or null when another instance took it, the sender gave up on it, or it was pruned.
 */
export async function takeImmediateMessage(pool: pg.Pool, id: string): Promise<ImmediateMessage | null> {
  const r = await pool.query<ImmediateMessage>(
    `UPDATE immediate_messages SET "deliveredAt" = now() WHERE id = $1 AND "deliveredAt" IS NULL
     RETURNING "userId", computer, "fromUserId", "fromComputer", body`,
    [id],
  );
  return r.rows[0] ?? null;
}

/**
 * The sender's side: waits up to `timeoutMs` for an instance to take the message. If none did
 * (its instance died without being reaped yet), the message is withdrawn in the same statement
 * that checks it, so it can never be pushed after the sender was told NOSUCHCOMPUTER.
 */
export async function awaitImmediateDelivery(pool: pg.Pool, id: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 2; Date.now() < deadline; wait = Math.min(wait * 2, 50)) {
    await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, deadline - Date.now()))));
    const r = await pool.query(`SELECT 1 FROM immediate_messages WHERE id = $1 AND "deliveredAt" IS NOT NULL`, [id]);
    if (r.rowCount) return true;
  }
  const withdrawn = await pool.query(`DELETE FROM immediate_messages WHERE id = $1 AND "deliveredAt" IS NULL`, [id]);
  return !withdrawn.rowCount;
}

/** Deletes messages older than maxAgeMs (every instance has read them by then). */
export async function pruneImmediateMessages(pool: pg.Pool, maxAgeMs = 60_000): Promise<number> {
  const r = await pool.query(
    `DELETE FROM immediate_messages WHERE "createdAt" < now() - $1 * interval '1 millisecond'`,
    [maxAgeMs],
  );
  return r.rowCount ?? 0;
}
