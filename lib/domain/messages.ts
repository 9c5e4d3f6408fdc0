// Stored messages: the store-and-forward core. A message's bytes are charged to its local
// sender from the first write until every recipient computer has deleted its copy (or the
// realm's retention expires it). Every operation is one transaction; the message row is locked
// FOR UPDATE so concurrent writes, deletes and expiry on one message are serialised.
import type pg from "pg";
import { DomainError } from "./errors.ts";
import { chargeBytes, releaseBytes } from "./quota.ts";
import { foldUsername, parseUserId } from "./usernames.ts";
import { named } from "../db/named.ts";

export const MESSAGE_LIMITS = {
  /** Stored block size; writes may start anywhere, blocks are read-modify-written. */
  blockBytes: 65536,
  maxMessageBytes: 2n * 1024n * 1024n * 1024n,
  maxIdLength: 256,
  maxRecipients: 500,
  maxChunkBytes: 1024 * 1024,
} as const;

export interface Caller {
  realmId: string;
  userId: string;
  /** realm id + "::" + username */
  fullId: string;
  computer: string;
}

export interface RecipientSpec {
  recipientId: string;
  computer: string;
}

export interface Delivery {
  userId: string;
  computer: string;
  messageId: string;
}

export async function tx<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    const r = await fn(c);
    await c.query("COMMIT");
    return r;
  } catch (e) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}

interface MessageRow {
  id: bigint;
  senderUserId: string | null;
  senderId: string;
  senderComputer: string;
  size: bigint;
  sentAt: Date | null;
}

async function lockMessage(c: pg.PoolClient, realmId: string, messageId: string): Promise<MessageRow> {
  const r = await c.query<MessageRow>(named(
    `SELECT id, "senderUserId", "senderId", "senderComputer", size, "sentAt" FROM messages WHERE "realmId" = $1 AND "messageId" = $2 FOR UPDATE`,
    [realmId, messageId]));
  if (!r.rows[0]) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
  return { ...r.rows[0], size: BigInt(r.rows[0].size) };
}

export function checkMessageId(messageId: string, senderFullId: string): DomainError | null {
  if (!messageId.startsWith(`${senderFullId}-`) || messageId.length <= senderFullId.length + 1)
    return new DomainError("INVALIDMESSAGEID", `A message id must start with your user id and a hyphen: "${senderFullId}-...".`);
  if (messageId.length > MESSAGE_LIMITS.maxIdLength) return new DomainError("INVALIDMESSAGEID", `A message id has at most ${MESSAGE_LIMITS.maxIdLength} characters.`);
  if (/[\s\u0000-\u001f]/.test(messageId)) return new DomainError("INVALIDMESSAGEID", "A message id cannot contain whitespace or control characters.");
  return null;
}

export interface CreateResult {
  /** Remote realms that will need a copy (federation). */
  remoteRealms: string[];
}

export async function createMessage(pool: pg.Pool, caller: Caller, messageId: string, recipients: RecipientSpec[], opts: { canMessageOtherRealms: boolean; retentionDays: number }): Promise<CreateResult> {
  const bad = checkMessageId(messageId, caller.fullId);
  if (bad) throw bad;
  if (recipients.length === 0) throw new DomainError("BADARGUMENTS", "A message needs at least one recipient.");
  if (recipients.length > MESSAGE_LIMITS.maxRecipients) throw new DomainError("BADARGUMENTS", `At most ${MESSAGE_LIMITS.maxRecipients} recipients.`);
  // Two round trips, no explicit transaction: one query resolves every local recipient with
  // their computers, one statement inserts the message and its delivery entries atomically.
  const parsed = recipients.map((r) => {
    const p = parseUserId(r.recipientId);
    if (!p) throw new DomainError("NOSUCHUSER", `"${r.recipientId}" is not a user id (realm host:port::username).`);
    return { spec: r, p };
  });
  const keys = [...new Set(parsed.filter((x) => x.p.realmId === caller.realmId).map((x) => foldUsername(x.p.username)))];
  const users = new Map<string, { id: string; username: string; computers: string[] }>();
  if (keys.length) {
    const found = await pool.query<{ id: string; username: string; usernameKey: string; computers: string[] }>(named(
      `SELECT u.id, u.username, u."usernameKey", ARRAY(SELECT name FROM computers c WHERE c."userId" = u.id ORDER BY c."createdAt", c.name) AS computers
         FROM users u WHERE u."realmId" = $1 AND u."usernameKey" = ANY($2::text[])`,
      [caller.realmId, keys]));
    for (const u of found.rows) users.set(u.usernameKey, u);
  }
  const rows = new Map<string, { recipientId: string; userId: string | null; computer: string }>();
  const add = (recipientId: string, userId: string | null, computer: string) => rows.set(`${recipientId}\u0000${computer}`, { recipientId, userId, computer });
  const remote = new Set<string>();
  for (const { spec, p } of parsed) {
    if (p.realmId !== caller.realmId) {
      if (!opts.canMessageOtherRealms) throw new DomainError("UNAUTHORIZED", "Your account may not send messages to other realms.");
      remote.add(p.realmId);
      add(spec.recipientId, null, spec.computer);
      continue;
    }
    const user = users.get(foldUsername(p.username));
    if (!user) throw new DomainError("NOSUCHUSER", `No user ${spec.recipientId}.`);
    const canonical = `${caller.realmId}::${user.username}`;
    if (spec.computer) {
      if (!user.computers.includes(spec.computer)) throw new DomainError("NOSUCHCOMPUTER", `${canonical} has no computer "${spec.computer}".`);
      add(canonical, user.id, spec.computer);
    } else if (user.computers.length === 0) {
      add(canonical, user.id, ""); // an open entry, taken over by the user's first computer
    } else {
      for (const comp of user.computers) add(canonical, user.id, comp);
    }
  }
  const list = [...rows.values()];
  const ins = await pool.query<{ id: bigint }>(named(
    `WITH m AS (
       INSERT INTO messages ("realmId", "messageId", "senderId", "senderUserId", "senderComputer", "expiresAt")
       VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 day') ON CONFLICT ("realmId", "messageId") DO NOTHING RETURNING id),
     r AS (INSERT INTO message_recipients ("messageId", "recipientId", "userId", computer)
           SELECT m.id, x.rid, x.uid, x.comp FROM m, unnest($7::text[], $8::text[], $9::text[]) AS x(rid, uid, comp))
     SELECT id FROM m`,
    [caller.realmId, messageId, caller.fullId, caller.userId, caller.computer, opts.retentionDays, list.map((x) => x.recipientId), list.map((x) => x.userId), list.map((x) => x.computer)]));
  if (!ins.rows[0]) throw new DomainError("ALREADYEXISTS", `A message with id ${messageId} already exists.`);
  return { remoteRealms: [...remote] };
}

function ownUnsent(m: MessageRow, caller: Caller): void {
  if (m.senderUserId !== caller.userId) throw new DomainError("UNAUTHORIZED", "Only the sender may change a message.");
  if (m.sentAt) throw new DomainError("FAIL", "This message was already sent and can no longer be changed.");
}

/** Grows (charging the sender) or shrinks (releasing) a message. */
async function resize(c: pg.PoolClient, m: MessageRow, newSize: bigint): Promise<void> {
  if (newSize > MESSAGE_LIMITS.maxMessageBytes) throw new DomainError("TOOLARGE", `A message has at most ${MESSAGE_LIMITS.maxMessageBytes} bytes.`);
  if (newSize > m.size) {
    if (!(await chargeBytes(c, m.senderUserId!, newSize - m.size, "message")))
      throw new DomainError("QUOTAEXCEEDED", `Storing ${newSize - m.size} more bytes would exceed your storage quota; delete messages or ask the operator for more space.`);
  } else if (newSize < m.size) {
    await releaseBytes(c, m.senderUserId!, m.size - newSize, "message");
    const B = BigInt(MESSAGE_LIMITS.blockBytes);
    const keepBlocks = (newSize + B - 1n) / B;
    await c.query(`DELETE FROM message_blocks WHERE "messageId" = $1 AND block >= $2`, [m.id, keepBlocks.toString()]);
    if (newSize % B !== 0n) {
      const last = Number(keepBlocks - 1n);
      await c.query(`UPDATE message_blocks SET data = substring(data from 1 for $3) WHERE "messageId" = $1 AND block = $2`, [m.id, last, Number(newSize % B)]);
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
async function appendBlock(pool: pg.Pool, caller: Caller, messageId: string, offset: bigint, data: Buffer): Promise<bigint | null> {
  const B = BigInt(MESSAGE_LIMITS.blockBytes);
  if (offset % B !== 0n || data.length === 0 || data.length > MESSAGE_LIMITS.blockBytes) return null;
  const r = await pool.query<{ found: string; size: string | null }>(named(
    `WITH m AS (SELECT id FROM messages WHERE "realmId" = $1 AND "messageId" = $2 AND "senderUserId" = $3 AND "sentAt" IS NULL AND size = $4::bigint FOR UPDATE),
     q AS (UPDATE users u SET "bytesUsed" = u."bytesUsed" + $5, "messageBytes" = u."messageBytes" + $5
             FROM realms r WHERE u.id = $3 AND r.id = u."realmId" AND EXISTS (SELECT 1 FROM m)
              AND u."bytesUsed" + $5 <= COALESCE(u."quotaBytes", r."defaultQuotaBytes") AND $4::bigint + $5 <= $7::bigint
           RETURNING u.id),
     b AS (INSERT INTO message_blocks ("messageId", block, data) SELECT m.id, $6, $8 FROM m, q
           ON CONFLICT ("messageId", block) DO UPDATE SET data = EXCLUDED.data),
     s AS (UPDATE messages SET size = size + $5 FROM q WHERE messages.id = (SELECT id FROM m) RETURNING messages.size)
     SELECT (SELECT count(*) FROM m)::text AS found, (SELECT size FROM s)::text AS size`,
    [caller.realmId, messageId, caller.userId, offset.toString(), data.length, Number(offset / B), MESSAGE_LIMITS.maxMessageBytes.toString(), data]));
  const row = r.rows[0];
  if (row.found === "0") return null;
  if (row.size === null) {
    if (offset + BigInt(data.length) > MESSAGE_LIMITS.maxMessageBytes) throw new DomainError("TOOLARGE", `A message has at most ${MESSAGE_LIMITS.maxMessageBytes} bytes.`);
    throw new DomainError("QUOTAEXCEEDED", `Storing ${data.length} more bytes would exceed your storage quota; delete messages or ask the operator for more space.`);
  }
  return BigInt(row.size);
}

export async function writeMessageData(pool: pg.Pool, caller: Caller, messageId: string, offset: bigint, data: Buffer): Promise<bigint> {
  if (offset < 0n) throw new DomainError("BADARGUMENTS", "An offset cannot be negative.");
  if (data.length > MESSAGE_LIMITS.maxChunkBytes) throw new DomainError("TOOLARGE", `Write at most ${MESSAGE_LIMITS.maxChunkBytes} bytes at a time.`);
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
      const blockLen = Number(m.size - BigInt(block) * BigInt(B) < BigInt(B) ? m.size - BigInt(block) * BigInt(B) : BigInt(B));
      if (within === 0 && n === blockLen) {
        await c.query(`INSERT INTO message_blocks ("messageId", block, data) VALUES ($1, $2, $3) ON CONFLICT ("messageId", block) DO UPDATE SET data = EXCLUDED.data`, [m.id, block, piece]);
      } else {
        const cur = await c.query<{ data: Buffer }>(`SELECT data FROM message_blocks WHERE "messageId" = $1 AND block = $2`, [m.id, block]);
        const buf = Buffer.alloc(blockLen);
        cur.rows[0]?.data.copy(buf, 0, 0, Math.min(cur.rows[0].data.length, blockLen));
        piece.copy(buf, within);
        await c.query(`INSERT INTO message_blocks ("messageId", block, data) VALUES ($1, $2, $3) ON CONFLICT ("messageId", block) DO UPDATE SET data = EXCLUDED.data`, [m.id, block, buf]);
      }
      pos += n;
    }
    return m.size;
  });
}

async function readableMessage(c: pg.PoolClient | pg.Pool, caller: Caller, messageId: string): Promise<MessageRow> {
  const r = await c.query<MessageRow>(`SELECT id, "senderUserId", "senderId", "senderComputer", size, "sentAt" FROM messages WHERE "realmId" = $1 AND "messageId" = $2`, [caller.realmId, messageId]);
  const m = r.rows[0];
  if (!m) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
  const row = { ...m, size: BigInt(m.size) };
  if (row.senderUserId === caller.userId) return row;
  if (!row.sentAt) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
  const rc = await c.query(`SELECT 1 FROM message_recipients WHERE "messageId" = $1 AND "userId" = $2 AND (computer = $3 OR computer = '') LIMIT 1`, [row.id, caller.userId, caller.computer]);
  if (!rc.rowCount) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
  return row;
}

export async function getMessageSize(pool: pg.Pool, caller: Caller, messageId: string): Promise<bigint> {
  return (await readableMessage(pool, caller, messageId)).size;
}

export async function readMessageData(pool: pg.Pool, caller: Caller, messageId: string, offset: bigint, length: number): Promise<Buffer> {
  if (offset < 0n || length < 0) throw new DomainError("BADARGUMENTS", "Offset and length cannot be negative.");
  if (length > MESSAGE_LIMITS.maxChunkBytes) throw new DomainError("TOOLARGE", `Read at most ${MESSAGE_LIMITS.maxChunkBytes} bytes at a time.`);
  const B = BigInt(MESSAGE_LIMITS.blockBytes);
  const first = offset / B;
  const last = length === 0 ? first : (offset + BigInt(length) - 1n) / B;
  // One round trip: the access rule of readableMessage (sender, or a recipient computer of a
  // sent message) and the blocks of the requested range.
  const r = await pool.query<{ size: bigint; allowed: boolean; block: number | null; data: Buffer | null }>(named(
    `SELECT m.size, (m."senderUserId" = $3 OR (m."sentAt" IS NOT NULL AND EXISTS (
              SELECT 1 FROM message_recipients mr WHERE mr."messageId" = m.id AND mr."userId" = $3 AND (mr.computer = $4 OR mr.computer = '')))) AS allowed,
            b.block, b.data
       FROM messages m LEFT JOIN message_blocks b ON b."messageId" = m.id AND b.block BETWEEN $5 AND $6
      WHERE m."realmId" = $1 AND m."messageId" = $2`,
    [caller.realmId, messageId, caller.userId, caller.computer, first.toString(), last.toString()]));
  if (!r.rows[0]?.allowed) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
  const size = BigInt(r.rows[0].size);
  if (offset > size) throw new DomainError("INDEXOUTOFBOUNDS", `Offset ${offset} is past the end of the message (${size} bytes).`);
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

export interface SendResult {
  deliveries: Delivery[];
  remoteRealms: string[];
}

/** Seals a message. With `expectedSize`, a message whose stored size differs is not sent (a write was lost or refused). */
export async function sendMessage(pool: pg.Pool, caller: Caller, messageId: string, expectedSize?: bigint): Promise<SendResult> {
  // One statement (one round trip, one commit): seal the message if it is ours, unsent and of
  // the expected size; queue it for other realms; notify local recipient computers (NOTIFY is
  // delivered at commit). An empty result means a condition failed: the slow path says which.
  const r = await pool.query<{ recipientId: string | null; userId: string | null; computer: string | null }>(named(
    `WITH m AS (
       UPDATE messages SET "sentAt" = now()
        WHERE "realmId" = $1 AND "messageId" = $2 AND "senderUserId" = $3 AND "sentAt" IS NULL AND ($4::bigint IS NULL OR size = $4::bigint)
        RETURNING id),
     r AS (SELECT mr."recipientId", mr."userId", mr.computer FROM message_recipients mr JOIN m ON mr."messageId" = m.id),
     o AS (INSERT INTO federation_outbox ("messageId", "targetRealmId")
             SELECT DISTINCT m.id, regexp_replace(r."recipientId", '::[^:]*$', '') FROM m, r WHERE r."userId" IS NULL
           ON CONFLICT DO NOTHING)
     SELECT r."recipientId", r."userId", r.computer,
            CASE WHEN r."userId" IS NOT NULL THEN pg_notify('og_message_available', json_build_object('realmId', $1::text, 'userId', r."userId", 'computer', r.computer, 'messageId', $2::text)::text) END AS n
       FROM m LEFT JOIN r ON true`,
    [caller.realmId, messageId, caller.userId, expectedSize === undefined ? null : expectedSize.toString()]));
  if (r.rows.length === 0) {
    // Not sealed: report why, under the same rules as the other commands.
    const m = await readableMessage(pool, caller, messageId).catch(() => null);
    if (!m) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
    ownUnsent(m, caller);
    throw new DomainError("FAIL", `the message holds ${m.size} bytes, not the ${expectedSize} expected; it was not sent`);
  }
  const deliveries: Delivery[] = [];
  const remoteRealms = new Set<string>();
  for (const row of r.rows) {
    if (row.userId) deliveries.push({ userId: row.userId, computer: row.computer ?? "", messageId });
    else if (row.recipientId) remoteRealms.add(parseUserId(row.recipientId)?.realmId ?? row.recipientId);
  }
  return { deliveries, remoteRealms: [...remoteRealms] };
}

export async function listInbound(pool: pg.Pool, caller: Caller): Promise<string[]> {
  const r = await pool.query<{ messageId: string }>(named(
    `SELECT DISTINCT m."messageId", m.id FROM message_recipients mr JOIN messages m ON m.id = mr."messageId"
      WHERE mr."userId" = $1 AND (mr.computer = $2 OR mr.computer = '') AND m."sentAt" IS NOT NULL ORDER BY m.id`,
    [caller.userId, caller.computer]));
  return r.rows.map((x) => x.messageId);
}

export async function listOutbound(pool: pg.Pool, caller: Caller): Promise<string[]> {
  const r = await pool.query<{ messageId: string }>(`SELECT "messageId" FROM messages WHERE "senderUserId" = $1 ORDER BY id`, [caller.userId]);
  return r.rows.map((x) => x.messageId);
}

export interface MessageInfo {
  senderId: string;
  senderComputer: string;
  sent: boolean;
  size: bigint;
  recipientsPending: number;
}

export async function getMessageInfo(pool: pg.Pool, caller: Caller, messageId: string): Promise<MessageInfo> {
  const m = await readableMessage(pool, caller, messageId);
  const n = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM message_recipients WHERE "messageId" = $1`, [m.id]);
  return { senderId: m.senderId, senderComputer: m.senderComputer, sent: Boolean(m.sentAt), size: m.size, recipientsPending: Number(n.rows[0].n) };
}

/**
 * A recipient's delete removes only its own entry; when no entry is left the message and its
 * data go and the sender's bytes are released. The sender's delete retracts the whole message.
 */
export async function deleteMessage(pool: pg.Pool, caller: Caller, messageId: string): Promise<{ released: bigint }> {
  return tx(pool, async (c) => {
    const m = await lockMessage(c, caller.realmId, messageId);
    if (m.senderUserId !== caller.userId) {
      if (!m.sentAt) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
      // Delete this computer's entry and count what is left in one statement. Its snapshot is
      // taken after the row lock above, so every other delete of this message is visible.
      const d = await c.query<{ deleted: string; total: string }>(named(
        `WITH d AS (DELETE FROM message_recipients WHERE "messageId" = $1 AND "userId" = $2 AND (computer = $3 OR computer = '') RETURNING 1)
         SELECT (SELECT count(*) FROM d)::text AS deleted, (SELECT count(*) FROM message_recipients WHERE "messageId" = $1)::text AS total`,
        [m.id, caller.userId, caller.computer]));
      if (d.rows[0].deleted === "0") throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
      if (Number(d.rows[0].total) > Number(d.rows[0].deleted)) return { released: 0n };
    }
    return { released: await dropMessage(c, m) };
  });
}

/**
 * Deletes a locked message and releases its bytes from the local sender; a message taken from
 * another realm (no local sender) releases them from that realm's allowance (federation_peers).
 */
export async function dropMessage(c: pg.PoolClient, m: { id: bigint; senderUserId: string | null; size: bigint }): Promise<bigint> {
  const d = await c.query<{ senderId: string }>(named(`DELETE FROM messages WHERE id = $1 RETURNING "senderId"`, [m.id]));
  if (d.rowCount && m.senderUserId) await releaseBytes(c, m.senderUserId, m.size, "message");
  else if (d.rowCount) {
    const from = parseUserId(d.rows[0].senderId)?.realmId;
    if (from) await c.query(`UPDATE federation_peers SET "bytesHeld" = GREATEST("bytesHeld" - $2, 0) WHERE "realmId" = $1`, [from, m.size.toString()]);
  }
  return d.rowCount ? m.size : 0n;
}

/** Retention: drops messages past their expiry (sent or abandoned). Returns how many. */
export async function expireMessages(pool: pg.Pool, limit = 500): Promise<number> {
  const ids = await pool.query<{ id: bigint }>(`SELECT id FROM messages WHERE "expiresAt" < now() ORDER BY "expiresAt" LIMIT $1`, [limit]);
  let n = 0;
  for (const { id } of ids.rows) {
    await tx(pool, async (c) => {
      const r = await c.query<{ id: bigint; senderUserId: string | null; size: bigint }>(`SELECT id, "senderUserId", size FROM messages WHERE id = $1 AND "expiresAt" < now() FOR UPDATE SKIP LOCKED`, [id]);
      if (r.rows[0]) {
        await dropMessage(c, { ...r.rows[0], size: BigInt(r.rows[0].size) });
        n++;
      }
    });
  }
  return n;
}
