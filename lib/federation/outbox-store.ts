// The sending side's queue (federation_outbox): one row per message and remote realm, written by
// sendMessage. Order, leases and retries: outbox-queue.ts. The remote
// recipients' entries (message_recipients with userId NULL) keep the message, and so the
// sender's charge, alive until that realm took it; dropMessage releases the bytes.
import crypto from "node:crypto";
import type pg from "pg";
import { MESSAGE_LIMITS, dropMessage } from "../domain/messages.ts";
import { tx } from "../db/tx.ts";
import { parseUserId } from "../domain/usernames.ts";
import { encodeBounce, subjectOf } from "./bounce-text.ts";

export interface OutboxRow {
  id: bigint;
  /** "message", or a workspace event ("ws-...", workspace-outbox.ts). */
  kind: string;
  /** The message (kind "message"); 0n for workspace events. */
  messageDbId: bigint;
  targetRealmId: string;
  attempts: number;
  workspaceId: string | null;
  memberId: string | null;
  seq: bigint | null;
  /** In-order lane to the target: the workspace for workspace events, '' for messages. */
  stream: string;
}

export interface Outgoing {
  realmId: string;
  messageId: string;
  senderId: string;
  senderComputer: string;
  size: bigint;
  recipients: Array<{ recipientId: string; computer: string }>;
}

/** What to send to `target`: null when the message is gone (retracted or expired). */
export async function loadOutgoing(pool: pg.Pool, messageDbId: bigint, target: string): Promise<Outgoing | null> {
  const m = await pool.query<{
    realmId: string;
    messageId: string;
    senderId: string;
    senderComputer: string;
    size: bigint;
    sentAt: Date | null;
  }>(`SELECT "realmId", "messageId", "senderId", "senderComputer", size, "sentAt" FROM messages WHERE id = $1`, [
    messageDbId,
  ]);
  const row = m.rows[0];
  if (!row || !row.sentAt) return null;
  const rc = await pool.query<{ recipientId: string; computer: string }>(
    `SELECT "recipientId", computer FROM message_recipients WHERE "messageId" = $1 AND "userId" IS NULL`,
    [messageDbId],
  );
  return {
    ...row,
    size: BigInt(row.size),
    recipients: rc.rows.filter((r) => parseUserId(r.recipientId)?.realmId === target),
  };
}

/** A message row of a pipelined run with what is sent for it (m null: the message is gone). */
export interface SmallOutgoing {
  row: OutboxRow;
  m: Outgoing | null;
  data: Buffer;
}

/**
 * The head of a run of message rows, in their order, each message whole in memory: stops before
 * the first message bigger than `maxSize` (it goes step by step) or once `maxBytes` are loaded
 * (at least one message). Three statements for the whole run instead of three per message.
 */
export async function loadOutgoingRun(
  pool: pg.Pool,
  rows: OutboxRow[],
  target: string,
  maxSize: number,
  maxBytes: number,
): Promise<SmallOutgoing[]> {
  if (!rows.length) return [];
  const ms = await pool.query<{
    id: string;
    realmId: string;
    messageId: string;
    senderId: string;
    senderComputer: string;
    size: string;
    sentAt: Date | null;
  }>(
    `SELECT id::text, "realmId", "messageId", "senderId", "senderComputer", size::text, "sentAt" FROM messages WHERE id = ANY($1::bigint[])`,
    [rows.map((r) => r.messageDbId.toString())],
  );
  const byId = new Map(ms.rows.map((m) => [m.id, m]));
  const out: SmallOutgoing[] = [];
  let bytes = 0;
  for (const row of rows) {
    const m = byId.get(row.messageDbId.toString());
    if (!m || !m.sentAt) {
      out.push({ row, m: null, data: Buffer.alloc(0) });
      continue;
    }
    const size = Number(m.size);
    if (size > maxSize || (out.length && bytes + size > maxBytes)) break;
    bytes += size;
    out.push({
      row,
      m: {
        realmId: m.realmId,
        messageId: m.messageId,
        senderId: m.senderId,
        senderComputer: m.senderComputer,
        size: BigInt(size),
        recipients: [],
      },
      data: Buffer.alloc(size),
    });
  }
  const live = out.filter((x) => x.m).map((x) => x.row.messageDbId.toString());
  if (!live.length) return out;
  const byMessage = new Map(out.filter((x) => x.m).map((x) => [x.row.messageDbId.toString(), x]));
  const rc = await pool.query<{ messageId: string; recipientId: string; computer: string }>(
    `SELECT "messageId"::text, "recipientId", computer FROM message_recipients WHERE "messageId" = ANY($1::bigint[]) AND "userId" IS NULL ORDER BY "messageId", "recipientId", computer`,
    [live],
  );
  for (const r of rc.rows)
    if (parseUserId(r.recipientId)?.realmId === target)
      byMessage.get(r.messageId)?.m?.recipients.push({ recipientId: r.recipientId, computer: r.computer });
  const B = MESSAGE_LIMITS.blockBytes;
  const bl = await pool.query<{ messageId: string; block: number; data: Buffer }>(
    `SELECT "messageId"::text, block, data FROM message_blocks WHERE "messageId" = ANY($1::bigint[])`,
    [live],
  );
  for (const b of bl.rows) {
    const x = byMessage.get(b.messageId);
    // Never-written ranges read as zeros, as in readOutgoing.
    if (x && b.block * B < x.data.length)
      b.data.copy(x.data, b.block * B, 0, Math.min(b.data.length, x.data.length - b.block * B));
  }
  return out;
}

/** Bytes [offset, offset+length) of a stored message; never-written ranges read as zeros. */
export async function readOutgoing(
  pool: pg.Pool,
  messageDbId: bigint,
  offset: bigint,
  length: number,
): Promise<Buffer> {
  const B = BigInt(MESSAGE_LIMITS.blockBytes);
  const out = Buffer.alloc(length);
  if (!length) return out;
  const first = offset / B;
  const last = (offset + BigInt(length) - 1n) / B;
  const r = await pool.query<{ block: number; data: Buffer }>(
    `SELECT block, data FROM message_blocks WHERE "messageId" = $1 AND block BETWEEN $2 AND $3`,
    [messageDbId, first.toString(), last.toString()],
  );
  for (const row of r.rows) {
    const start = BigInt(row.block) * B - offset;
    if (start >= 0n) row.data.copy(out, Number(start));
    else row.data.copy(out, 0, Number(-start));
  }
  return out;
}

export interface Refusal {
  recipientId: string;
  status: string;
  reason: string;
}

async function lockMessage(c: pg.PoolClient, id: bigint) {
  const r = await c.query<{
    id: bigint;
    realmId: string;
    messageId: string;
    senderId: string;
    senderUserId: string | null;
    senderComputer: string;
    size: bigint;
  }>(
    `SELECT id, "realmId", "messageId", "senderId", "senderUserId", "senderComputer", size FROM messages WHERE id = $1 FOR UPDATE`,
    [id],
  );
  return r.rows[0] ? { ...r.rows[0], size: BigInt(r.rows[0].size) } : null;
}

/** Removes the target realm's recipient entries; drops the message (releasing the sender) when nothing else holds it. */
async function settle(
  c: pg.PoolClient,
  m: { id: bigint; senderUserId: string | null; size: bigint },
  target: string,
): Promise<Array<{ recipientId: string; computer: string }>> {
  const rc = await c.query<{ recipientId: string; computer: string }>(
    `SELECT "recipientId", computer FROM message_recipients WHERE "messageId" = $1 AND "userId" IS NULL`,
    [m.id],
  );
  const mine = rc.rows.filter((r) => parseUserId(r.recipientId)?.realmId === target);
  for (const r of mine)
    await c.query(`DELETE FROM message_recipients WHERE "messageId" = $1 AND "recipientId" = $2 AND computer = $3`, [
      m.id,
      r.recipientId,
      r.computer,
    ]);
  const left = await c.query(`SELECT 1 FROM message_recipients WHERE "messageId" = $1 LIMIT 1`, [m.id]);
  if (!left.rowCount) await dropMessage(c, m);
  return mine;
}

/**
 * A bounce: a message from "<realm>::postmaster" to the sending computer, in the sender's inbox,
 * saying which recipients on which realm refused the message and why. Not charged to anyone.
 */
async function bounce(
  c: pg.PoolClient,
  m: { realmId: string; messageId: string; senderId: string; senderUserId: string | null; senderComputer: string },
  target: string,
  refusals: Refusal[],
): Promise<void> {
  if (!m.senderUserId || !refusals.length) return;
  const from = `${m.realmId}::postmaster`;
  const id = `${from}-bounce-${crypto.randomBytes(8).toString("hex")}`;
  // The refused message's subject and date, for a letter a person can read (bounce-text.ts).
  const orig = await c.query<{ sentAt: Date | null; data: Buffer | null }>(
    `SELECT m."sentAt", b.data FROM messages m LEFT JOIN message_blocks b ON b."messageId" = m.id AND b.block = 0
     WHERE m."realmId" = $1 AND m."messageId" = $2`,
    [m.realmId, m.messageId],
  );
  const body = Buffer.from(
    encodeBounce(
      {
        messageId: m.messageId,
        subject: subjectOf(orig.rows[0]?.data ?? undefined),
        sentAt: orig.rows[0]?.sentAt,
        targetRealmId: target,
        refusals,
      },
      MESSAGE_LIMITS.blockBytes,
    ),
  );
  const ins = await c.query<{ id: bigint }>(
    `INSERT INTO messages ("realmId", "messageId", "senderId", "senderUserId", "senderComputer", size, "sentAt", "expiresAt")
     SELECT $1, $2, $3, NULL, '', $4, now(), now() + r."messageRetentionDays" * interval '1 day' FROM realms r WHERE r.id = $1 RETURNING id`,
    [m.realmId, id, from, body.length],
  );
  if (!ins.rows[0]) return;
  await c.query(`INSERT INTO message_blocks ("messageId", block, data) VALUES ($1, 0, $2)`, [ins.rows[0].id, body]);
  await c.query(
    `INSERT INTO message_recipients ("messageId", "recipientId", "userId", computer) VALUES ($1, $2, $3, $4)`,
    [ins.rows[0].id, m.senderId, m.senderUserId, m.senderComputer],
  );
  await c.query(`SELECT pg_notify('og_message_available', $1)`, [
    JSON.stringify({ realmId: m.realmId, userId: m.senderUserId, computer: m.senderComputer, messageId: id }),
  ]);
}

/** The target realm took the message (some recipients may have been refused: those bounce). */
export async function completeDelivery(pool: pg.Pool, row: OutboxRow, refused: Refusal[]): Promise<void> {
  await tx(pool, async (c) => {
    await c.query(`UPDATE federation_outbox SET "deliveredAt" = now(), "lastError" = $2 WHERE id = $1`, [
      row.id,
      refused.length ? `${refused.length} recipient(s) refused` : null,
    ]);
    const m = await lockMessage(c, row.messageDbId);
    if (!m) return;
    await bounce(c, m, row.targetRealmId, refused);
    await settle(c, m, row.targetRealmId);
  });
}

/** The target realm refused the message for good: every recipient there bounces. */
export async function failDelivery(pool: pg.Pool, row: OutboxRow, status: string, reason: string): Promise<void> {
  await tx(pool, async (c) => {
    await c.query(`UPDATE federation_outbox SET "failedAt" = now(), "lastError" = $2 WHERE id = $1`, [
      row.id,
      `${status} ${reason}`.slice(0, 1000),
    ]);
    const m = await lockMessage(c, row.messageDbId);
    if (!m) return;
    const rc = await c.query<{ recipientId: string }>(
      `SELECT DISTINCT "recipientId" FROM message_recipients WHERE "messageId" = $1 AND "userId" IS NULL`,
      [m.id],
    );
    const refusals = rc.rows
      .filter((r) => parseUserId(r.recipientId)?.realmId === row.targetRealmId)
      .map((r) => ({ recipientId: r.recipientId, status, reason }));
    await bounce(c, m, row.targetRealmId, refusals);
    await settle(c, m, row.targetRealmId);
  });
}

/** The message is gone (retracted by its sender or expired): nothing left to deliver. */
export async function discard(pool: pg.Pool, row: OutboxRow): Promise<void> {
  await pool.query(
    `UPDATE federation_outbox SET "deliveredAt" = now(), "lastError" = 'message no longer exists' WHERE id = $1`,
    [row.id],
  );
}
