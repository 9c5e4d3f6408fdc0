// Message data: sizing, chunked writes (charging the sender as the message grows) and reads,
// over fixed-size blocks. Split from messages.ts, which holds the message lifecycle.
import type pg from "pg";
import { DomainError } from "./errors.ts";
import { chargeBytes, releaseBytes } from "./quota.ts";
import { named } from "../db/named.ts";
import { effectiveQuotaSql } from "./quota-rule.ts";
import { MESSAGE_LIMITS, lockMessage, ownUnsent, type Caller, type MessageRow } from "./messages.ts";
import { tx } from "../db/tx.ts";

/** Grows (charging the sender) or shrinks (releasing) a message. */
async function resize(c: pg.PoolClient, m: MessageRow, newSize: bigint): Promise<void> {
  if (newSize > MESSAGE_LIMITS.maxMessageBytes)
    throw new DomainError("TOOLARGE", `A message has at most ${MESSAGE_LIMITS.maxMessageBytes} bytes.`);
  if (newSize > m.size) {
    if (!(await chargeBytes(c, m.senderUserId!, newSize - m.size, "message")))
      throw new DomainError(
        "QUOTAEXCEEDED",
        `Storing ${newSize - m.size} more bytes would exceed your storage quota; delete messages or ask the operator for more space.`,
      );
  } else if (newSize < m.size) {
    await releaseBytes(c, m.senderUserId!, m.size - newSize, "message");
    const B = BigInt(MESSAGE_LIMITS.blockBytes);
    const keepBlocks = (newSize + B - 1n) / B;
    await c.query(`DELETE FROM message_blocks WHERE "messageId" = $1 AND block >= $2`, [m.id, keepBlocks.toString()]);
    if (newSize % B !== 0n) {
      const last = Number(keepBlocks - 1n);
      await c.query(
        `UPDATE message_blocks SET data = substring(data from 1 for $3) WHERE "messageId" = $1 AND block = $2`,
        [m.id, last, Number(newSize % B)],
      );
    }
  }
  await c.query(`UPDATE messages SET size = $2 WHERE id = $1`, [m.id, newSize.toString()]);
  m.size = newSize;
}

export async function setMessageSize(pool: pg.Pool, caller: Caller, messageId: string, size: bigint): Promise<void> {
  if (size < 0n) throw new DomainError("BADARGUMENTS", "A size cannot be negative.");
  await tx(pool, async (c) => {
    const m = await lockMessage(c, caller.realmId, messageId);
    ownUnsent(m, caller);
    await resize(c, m, size);
  });
}

/**
 * The common case in one statement: appending at the current end, at a block boundary, at most
 * one block. Locks the message row, charges the sender with the conditional UPDATE, stores the
 * block and grows the message — or, when the quota does not allow it, does none of it.
 * Returns null when the write is not of that shape (or the message is not ours and unsent),
 * so the general path handles it and reports errors.
 */
async function appendBlock(
  pool: pg.Pool,
  caller: Caller,
  messageId: string,
  offset: bigint,
  data: Buffer,
): Promise<bigint | null> {
  const B = BigInt(MESSAGE_LIMITS.blockBytes);
  if (offset % B !== 0n || data.length === 0 || data.length > MESSAGE_LIMITS.blockBytes) return null;
  const r = await pool.query<{ found: string; size: string | null }>(
    named(
      `WITH m AS (SELECT id FROM messages WHERE "realmId" = $1 AND "messageId" = $2 AND "senderUserId" = $3 AND "sentAt" IS NULL AND size = $4::bigint FOR UPDATE),
     q AS (UPDATE users u SET "bytesUsed" = u."bytesUsed" + $5, "messageBytes" = u."messageBytes" + $5
             FROM realms r WHERE u.id = $3 AND r.id = u."realmId" AND EXISTS (SELECT 1 FROM m)
              AND u."bytesUsed" + $5 <= ${effectiveQuotaSql("u", "r")} AND $4::bigint + $5 <= $7::bigint
           RETURNING u.id),
     b AS (INSERT INTO message_blocks ("messageId", block, data) SELECT m.id, $6, $8 FROM m, q
           ON CONFLICT ("messageId", block) DO UPDATE SET data = EXCLUDED.data),
     s AS (UPDATE messages SET size = size + $5 FROM q WHERE messages.id = (SELECT id FROM m) RETURNING messages.size)
     SELECT (SELECT count(*) FROM m)::text AS found, (SELECT size FROM s)::text AS size`,
      [
        caller.realmId,
        messageId,
        caller.userId,
        offset.toString(),
        data.length,
        Number(offset / B),
        MESSAGE_LIMITS.maxMessageBytes.toString(),
        data,
      ],
    ),
  );
  const row = r.rows[0];
  if (row.found === "0") return null;
  if (row.size === null) {
    if (offset + BigInt(data.length) > MESSAGE_LIMITS.maxMessageBytes)
      throw new DomainError("TOOLARGE", `A message has at most ${MESSAGE_LIMITS.maxMessageBytes} bytes.`);
    throw new DomainError(
      "QUOTAEXCEEDED",
      `Storing ${data.length} more bytes would exceed your storage quota; delete messages or ask the operator for more space.`,
    );
  }
  return BigInt(row.size);
}

export async function writeMessageData(
  pool: pg.Pool,
  caller: Caller,
  messageId: string,
  offset: bigint,
  data: Buffer,
): Promise<bigint> {
  if (offset < 0n) throw new DomainError("BADARGUMENTS", "An offset cannot be negative.");
  if (data.length > MESSAGE_LIMITS.maxChunkBytes)
    throw new DomainError("TOOLARGE", `Write at most ${MESSAGE_LIMITS.maxChunkBytes} bytes at a time.`);
  const fast = await appendBlock(pool, caller, messageId, offset, data);
  if (fast !== null) return fast;
  return tx(pool, async (c) => {
    const m = await lockMessage(c, caller.realmId, messageId);
    ownUnsent(m, caller);
    const end = offset + BigInt(data.length);
    if (end > m.size) await resize(c, m, end);
    const B = MESSAGE_LIMITS.blockBytes;
    let pos = 0;
    while (pos < data.length) {
      const abs = offset + BigInt(pos);
      const block = Number(abs / BigInt(B));
      const within = Number(abs % BigInt(B));
      const n = Math.min(B - within, data.length - pos);
      const piece = data.subarray(pos, pos + n);
      const blockLen = Number(
        m.size - BigInt(block) * BigInt(B) < BigInt(B) ? m.size - BigInt(block) * BigInt(B) : BigInt(B),
      );
      if (within === 0 && n === blockLen) {
        await c.query(
          `INSERT INTO message_blocks ("messageId", block, data) VALUES ($1, $2, $3) ON CONFLICT ("messageId", block) DO UPDATE SET data = EXCLUDED.data`,
          [m.id, block, piece],
        );
      } else {
        const cur = await c.query<{ data: Buffer }>(
          `SELECT data FROM message_blocks WHERE "messageId" = $1 AND block = $2`,
          [m.id, block],
        );
        const buf = Buffer.alloc(blockLen);
        cur.rows[0]?.data.copy(buf, 0, 0, Math.min(cur.rows[0].data.length, blockLen));
        piece.copy(buf, within);
        await c.query(
          `INSERT INTO message_blocks ("messageId", block, data) VALUES ($1, $2, $3) ON CONFLICT ("messageId", block) DO UPDATE SET data = EXCLUDED.data`,
          [m.id, block, buf],
        );
      }
      pos += n;
    }
    return m.size;
  });
}

export async function readMessageData(
  pool: pg.Pool,
  caller: Caller,
  messageId: string,
  offset: bigint,
  length: number,
): Promise<Buffer> {
  if (offset < 0n || length < 0) throw new DomainError("BADARGUMENTS", "Offset and length cannot be negative.");
  if (length > MESSAGE_LIMITS.maxChunkBytes)
    throw new DomainError("TOOLARGE", `Read at most ${MESSAGE_LIMITS.maxChunkBytes} bytes at a time.`);
  const B = BigInt(MESSAGE_LIMITS.blockBytes);
  const first = offset / B;
  const last = length === 0 ? first : (offset + BigInt(length) - 1n) / B;
  // One round trip: the access rule of readableMessage (sender, or a recipient computer of a
  // sent message) and the blocks of the requested range.
  const r = await pool.query<{ size: bigint; allowed: boolean; block: number | null; data: Buffer | null }>(
    named(
      `SELECT m.size, (m."senderUserId" = $3 OR (m."sentAt" IS NOT NULL AND EXISTS (
              SELECT 1 FROM message_recipients mr WHERE mr."messageId" = m.id AND mr."userId" = $3 AND (mr.computer = $4 OR mr.computer = '')))) AS allowed,
            b.block, b.data
       FROM messages m LEFT JOIN message_blocks b ON b."messageId" = m.id AND b.block BETWEEN $5 AND $6
      WHERE m."realmId" = $1 AND m."messageId" = $2`,
      [caller.realmId, messageId, caller.userId, caller.computer, first.toString(), last.toString()],
    ),
  );
  if (!r.rows[0]?.allowed) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
  const size = BigInt(r.rows[0].size);
  if (offset > size)
    throw new DomainError("INDEXOUTOFBOUNDS", `Offset ${offset} is past the end of the message (${size} bytes).`);
  const end = offset + BigInt(length) > size ? size : offset + BigInt(length);
  const out = Buffer.alloc(Number(end - offset));
  for (const row of r.rows) {
    if (row.block === null || !row.data || out.length === 0) continue;
    const blockStart = BigInt(row.block) * B;
    const from = offset > blockStart ? Number(offset - blockStart) : 0;
    const dst = Number(blockStart + BigInt(from) - offset);
    if (dst >= out.length) continue;
    row.data.copy(out, dst, from, Math.min(row.data.length, from + (out.length - dst)));
  }
  return out; // never-written ranges read as zero bytes
}
