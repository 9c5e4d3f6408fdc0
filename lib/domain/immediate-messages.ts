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

/** Stores the message and notifies its id, in one statement (so one round trip, one commit). */
export async function postImmediateMessage(pool: pg.Pool, m: ImmediateMessage): Promise<void> {
  await pool.query(
    `WITH m AS (
       INSERT INTO immediate_messages ("userId", computer, "fromUserId", "fromComputer", body)
       VALUES ($1, $2, $3, $4, $5) RETURNING id
     )
     SELECT pg_notify($6, json_build_object('id', m.id::text, 'userId', $1::text, 'computer', $2::text)::text) FROM m`,
    [m.userId, m.computer, m.fromUserId, m.fromComputer, m.body, CHANNELS.imessage],
  );
}

/** The stored message, or null when it was pruned meanwhile. */
export async function readImmediateMessage(pool: pg.Pool, id: string): Promise<ImmediateMessage | null> {
  const r = await pool.query<ImmediateMessage>(
    `SELECT "userId", computer, "fromUserId", "fromComputer", body FROM immediate_messages WHERE id = $1`,
    [id],
  );
  return r.rows[0] ?? null;
}

/** Deletes messages older than maxAgeMs (every instance has read them by then). */
export async function pruneImmediateMessages(pool: pg.Pool, maxAgeMs = 60_000): Promise<number> {
  const r = await pool.query(
    `DELETE FROM immediate_messages WHERE "createdAt" < now() - $1 * interval '1 millisecond'`,
    [maxAgeMs],
  );
  return r.rowCount ?? 0;
}
