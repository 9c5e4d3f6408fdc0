// Stored messages: the store-and-forward core. A message's bytes are charged to its local
// sender from the first write until every recipient computer has deleted its copy (or the
// realm's retention expires it). Every operation is one transaction; the message row is locked
// FOR UPDATE so concurrent writes, deletes and expiry on one message are serialised.
import type pg from "pg";
import { DomainError } from "./errors.ts";
import { releaseBytes } from "./quota.ts";
import { effectiveQuotaSql, messageOverheadBytes } from "./quota-rule.ts";
import { canMessageOtherRealms } from "./accounts.ts";
import { foldUsername, parseUserId } from "./usernames.ts";
import { named } from "../db/named.ts";
import { tx } from "../db/tx.ts";

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

export interface MessageRow {
  id: bigint;
  senderUserId: string | null;
  senderId: string;
  senderComputer: string;
  size: bigint;
  sentAt: Date | null;
}

export async function lockMessage(c: pg.PoolClient, realmId: string, messageId: string): Promise<MessageRow> {
  const r = await c.query<MessageRow>(
    named(
      `SELECT id, "senderUserId", "senderId", "senderComputer", size, "sentAt" FROM messages WHERE "realmId" = $1 AND "messageId" = $2 FOR UPDATE`,
      [realmId, messageId],
    ),
  );
  if (!r.rows[0]) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
  return { ...r.rows[0], size: BigInt(r.rows[0].size) };
}

export function checkMessageId(messageId: string, senderFullId: string): DomainError | null {
  if (!messageId.startsWith(`${senderFullId}-`) || messageId.length <= senderFullId.length + 1)
    return new DomainError(
      "INVALIDMESSAGEID",
      `A message id must start with your user id and a hyphen: "${senderFullId}-...".`,
    );
  if (messageId.length > MESSAGE_LIMITS.maxIdLength)
    return new DomainError("INVALIDMESSAGEID", `A message id has at most ${MESSAGE_LIMITS.maxIdLength} characters.`);
  if (/[\s\u0000-\u001f]/.test(messageId))
    return new DomainError("INVALIDMESSAGEID", "A message id cannot contain whitespace or control characters.");
  return null;
}

export interface CreateResult {
  /** Remote realms that will need a copy (federation). */
  remoteRealms: string[];
}

export async function createMessage(
  pool: pg.Pool,
  caller: Caller,
  messageId: string,
  recipients: RecipientSpec[],
  opts: { retentionDays: number },
): Promise<CreateResult> {
  const bad = checkMessageId(messageId, caller.fullId);
  if (bad) throw bad;
  if (recipients.length === 0) throw new DomainError("BADARGUMENTS", "A message needs at least one recipient.");
  if (recipients.length > MESSAGE_LIMITS.maxRecipients)
    throw new DomainError("BADARGUMENTS", `At most ${MESSAGE_LIMITS.maxRecipients} recipients.`);
  // One query resolves every local recipient with their computers; then one transaction checks
  // the unsent cap and the quota and inserts the message, its entries and its overhead charge.
  const parsed = recipients.map((r) => {
    const p = parseUserId(r.recipientId);
    if (!p) throw new DomainError("NOSUCHUSER", `"${r.recipientId}" is not a user id (realm host:port::username).`);
    return { spec: r, p };
  });
  const keys = [
    ...new Set(parsed.filter((x) => x.p.realmId === caller.realmId).map((x) => foldUsername(x.p.username))),
  ];
  const users = new Map<string, { id: string; username: string; computers: string[] }>();
  if (keys.length) {
    const found = await pool.query<{ id: string; username: string; usernameKey: string; computers: string[] }>(
      named(
        `SELECT u.id, u.username, u."usernameKey", ARRAY(SELECT name FROM computers c WHERE c."userId" = u.id ORDER BY c."createdAt", c.name) AS computers
         FROM users u WHERE u."realmId" = $1 AND u."usernameKey" = ANY($2::text[])`,
        [caller.realmId, keys],
      ),
    );
    for (const u of found.rows) users.set(u.usernameKey, u);
  }
  // The console's per-user right, read only when a recipient is on another realm.
  const mayMessageOtherRealms =
    parsed.some((x) => x.p.realmId !== caller.realmId) && (await canMessageOtherRealms(pool, caller.userId));
  const rows = new Map<string, { recipientId: string; userId: string | null; computer: string }>();
  const add = (recipientId: string, userId: string | null, computer: string) =>
    rows.set(`${recipientId}\u0000${computer}`, { recipientId, userId, computer });
  const remote = new Set<string>();
  for (const { spec, p } of parsed) {
    if (p.realmId !== caller.realmId) {
      if (!mayMessageOtherRealms)
        throw new DomainError("UNAUTHORIZED", "Your account may not send messages to other realms.");
      remote.add(p.realmId);
      add(spec.recipientId, null, spec.computer);
      continue;
    }
    const user = users.get(foldUsername(p.username));
    if (!user) throw new DomainError("NOSUCHUSER", `No user ${spec.recipientId}.`);
    const canonical = `${caller.realmId}::${user.username}`;
    if (spec.computer) {
      if (!user.computers.includes(spec.computer))
        throw new DomainError("NOSUCHCOMPUTER", `${canonical} has no computer "${spec.computer}".`);
      add(canonical, user.id, spec.computer);
    } else if (user.computers.length === 0) {
      add(canonical, user.id, ""); // an open entry, taken over by the user's first computer
    } else {
      for (const comp of user.computers) add(canonical, user.id, comp);
    }
  }
  const list = [...rows.values()];
  const overhead = messageOverheadBytes(list.length);
  await tx(pool, async (c) => {
    // The sender's row is locked first, so the unsent count read by the NEXT statement (a new
    // snapshot, taken after the lock) includes every create that committed before: parallel
    // creates cannot pass the realm's cap. The charge of the overhead is made under the same lock.
    const u = await c.query<{ room: string; cap: number }>(
      named(
        `SELECT (${effectiveQuotaSql("u", "r")} - u."bytesUsed")::text AS room, r."maxUnsentMessagesPerUser" AS cap
           FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1 FOR UPDATE OF u`,
        [caller.userId],
      ),
    );
    if (!u.rows[0]) throw new DomainError("UNAUTHORIZED", "Your account no longer exists.");
    const unsent = await c.query<{ n: string }>(
      named(`SELECT count(*)::text AS n FROM messages WHERE "senderUserId" = $1 AND "sentAt" IS NULL`, [caller.userId]),
    );
    if (Number(unsent.rows[0].n) >= u.rows[0].cap)
      throw new DomainError(
        "QUOTAEXCEEDED",
        `You already hold ${unsent.rows[0].n} unsent messages, this realm's limit (${u.rows[0].cap}); send or delete one first.`,
      );
    if (overhead > BigInt(u.rows[0].room))
      throw new DomainError(
        "QUOTAEXCEEDED",
        `A message with ${list.length} recipient entries takes ${overhead} bytes of your storage quota before any data; delete messages or ask the operator for more space.`,
      );
    const ins = await c.query<{ id: bigint }>(
      named(
        `WITH m AS (
         INSERT INTO messages ("realmId", "messageId", "senderId", "senderUserId", "senderComputer", "expiresAt", "overheadBytes")
         VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 day', $10) ON CONFLICT ("realmId", "messageId") DO NOTHING RETURNING id),
       r AS (INSERT INTO message_recipients ("messageId", "recipientId", "userId", computer)
             SELECT m.id, x.rid, x.uid, x.comp FROM m, unnest($7::text[], $8::text[], $9::text[]) AS x(rid, uid, comp)),
       q AS (UPDATE users SET "bytesUsed" = "bytesUsed" + $10, "messageBytes" = "messageBytes" + $10
              WHERE id = $4 AND EXISTS (SELECT 1 FROM m))
       SELECT id FROM m`,
        [
          caller.realmId,
          messageId,
          caller.fullId,
          caller.userId,
          caller.computer,
          opts.retentionDays,
          list.map((x) => x.recipientId),
          list.map((x) => x.userId),
          list.map((x) => x.computer),
          overhead.toString(),
        ],
      ),
    );
    if (!ins.rows[0]) throw new DomainError("ALREADYEXISTS", `A message with id ${messageId} already exists.`);
  });
  return { remoteRealms: [...remote] };
}

export function ownUnsent(m: MessageRow, caller: Caller): void {
  if (m.senderUserId !== caller.userId) throw new DomainError("UNAUTHORIZED", "Only the sender may change a message.");
  if (m.sentAt) throw new DomainError("FAIL", "This message was already sent and can no longer be changed.");
}

async function readableMessage(c: pg.PoolClient | pg.Pool, caller: Caller, messageId: string): Promise<MessageRow> {
  const r = await c.query<MessageRow>(
    `SELECT id, "senderUserId", "senderId", "senderComputer", size, "sentAt" FROM messages WHERE "realmId" = $1 AND "messageId" = $2`,
    [caller.realmId, messageId],
  );
  const m = r.rows[0];
  if (!m) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
  const row = { ...m, size: BigInt(m.size) };
  if (row.senderUserId === caller.userId) return row;
  if (!row.sentAt) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
  const rc = await c.query(
    `SELECT 1 FROM message_recipients WHERE "messageId" = $1 AND "userId" = $2 AND (computer = $3 OR computer = '') LIMIT 1`,
    [row.id, caller.userId, caller.computer],
  );
  if (!rc.rowCount) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
  return row;
}

export async function getMessageSize(pool: pg.Pool, caller: Caller, messageId: string): Promise<bigint> {
  return (await readableMessage(pool, caller, messageId)).size;
}

export interface SendResult {
  deliveries: Delivery[];
  remoteRealms: string[];
}

/** Seals a message. With `expectedSize`, a message whose stored size differs is not sent (a write was lost or refused). */
export async function sendMessage(
  pool: pg.Pool,
  caller: Caller,
  messageId: string,
  expectedSize?: bigint,
): Promise<SendResult> {
  // One statement (one round trip, one commit): seal the message if it is ours, unsent and of
  // the expected size; queue it for other realms; notify local recipient computers (NOTIFY is
  // delivered at commit). An empty result means a condition failed: the slow path says which.
  const r = await pool.query<{ recipientId: string | null; userId: string | null; computer: string | null }>(
    named(
      `WITH m AS (
       UPDATE messages SET "sentAt" = now()
        WHERE "realmId" = $1 AND "messageId" = $2 AND "senderUserId" = $3 AND "sentAt" IS NULL AND ($4::bigint IS NULL OR size = $4::bigint)
          AND EXISTS (SELECT 1 FROM message_recipients e WHERE e."messageId" = messages.id)
        RETURNING id),
     r AS (SELECT mr."recipientId", mr."userId", mr.computer FROM message_recipients mr JOIN m ON mr."messageId" = m.id),
     o AS (INSERT INTO federation_outbox ("messageId", "targetRealmId")
             SELECT DISTINCT m.id, regexp_replace(r."recipientId", '::[^:]*$', '') FROM m, r WHERE r."userId" IS NULL
           ON CONFLICT DO NOTHING)
     SELECT r."recipientId", r."userId", r.computer,
            CASE WHEN r."userId" IS NOT NULL THEN pg_notify('og_message_available', json_build_object('realmId', $1::text, 'userId', r."userId", 'computer', r.computer, 'messageId', $2::text)::text) END AS n
       FROM m LEFT JOIN r ON true`,
      [caller.realmId, messageId, caller.userId, expectedSize === undefined ? null : expectedSize.toString()],
    ),
  );
  if (r.rows.length === 0) {
    // Not sealed: report why, under the same rules as the other commands.
    const m = await readableMessage(pool, caller, messageId).catch(() => null);
    if (!m) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
    ownUnsent(m, caller);
    // Every recipient vanished (their computers or accounts deleted) after createmessage: the
    // message is discarded and its bytes released now, never sealed to nobody.
    const dropped = await tx(pool, (c) => dropOrphanedMessages(c, [m.id.toString()]));
    if (dropped)
      throw new DomainError(
        "NOSUCHCOMPUTER",
        `every recipient of ${messageId} was deleted before it was sent; it was discarded and its bytes released`,
      );
    throw new DomainError(
      "FAIL",
      `the message holds ${m.size} bytes, not the ${expectedSize} expected; it was not sent`,
    );
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
  const r = await pool.query<{ messageId: string }>(
    named(
      `SELECT DISTINCT m."messageId", m.id FROM message_recipients mr JOIN messages m ON m.id = mr."messageId"
      WHERE mr."userId" = $1 AND (mr.computer = $2 OR mr.computer = '') AND m."sentAt" IS NOT NULL ORDER BY m.id`,
      [caller.userId, caller.computer],
    ),
  );
  return r.rows.map((x) => x.messageId);
}

/**
 * One page of the inbox, oldest first: at most `limit` ids after the message `after` (an id the
 * caller got from an earlier page). If `after` no longer exists (deleted meanwhile), the page
 * starts again from the oldest waiting message; callers skip ids they already have. Each branch
 * walks the (userId, computer, messageId) index in order and stops at the limit, so the cost of
 * a page does not grow with the backlog.
 */
export async function listInboundPage(pool: pg.Pool, caller: Caller, limit: number, after?: string): Promise<string[]> {
  const r = await pool.query<{ messageId: string }>(
    named(
      `WITH cur AS (SELECT COALESCE((SELECT id FROM messages WHERE "realmId" = $3 AND "messageId" = $4), 0) AS id),
       e AS ((SELECT mr."messageId" AS id FROM message_recipients mr JOIN messages m ON m.id = mr."messageId" AND m."sentAt" IS NOT NULL
               WHERE mr."userId" = $1 AND mr.computer = $2 AND mr."messageId" > (SELECT id FROM cur) ORDER BY mr."messageId" LIMIT $5)
             UNION
             (SELECT mr."messageId" FROM message_recipients mr JOIN messages m ON m.id = mr."messageId" AND m."sentAt" IS NOT NULL
               WHERE mr."userId" = $1 AND mr.computer = '' AND mr."messageId" > (SELECT id FROM cur) ORDER BY mr."messageId" LIMIT $5))
     SELECT m."messageId" FROM (SELECT id FROM e ORDER BY id LIMIT $5) e JOIN messages m ON m.id = e.id ORDER BY e.id`,
      [caller.userId, caller.computer, caller.realmId, after ?? "", limit],
    ),
  );
  return r.rows.map((x) => x.messageId);
}

export async function listOutbound(pool: pg.Pool, caller: Caller): Promise<string[]> {
  const r = await pool.query<{ messageId: string }>(
    `SELECT "messageId" FROM messages WHERE "senderUserId" = $1 ORDER BY id`,
    [caller.userId],
  );
  return r.rows.map((x) => x.messageId);
}

export interface MessageInfo {
  senderId: string;
  senderComputer: string;
  sent: boolean;
  /** When it was sealed (sendmessage) on this realm: for a recipient, when it arrived. */
  sentAt: Date | null;
  size: bigint;
  recipientsPending: number;
}

export async function getMessageInfo(pool: pg.Pool, caller: Caller, messageId: string): Promise<MessageInfo> {
  const m = await readableMessage(pool, caller, messageId);
  const n = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM message_recipients WHERE "messageId" = $1`, [
    m.id,
  ]);
  return {
    senderId: m.senderId,
    senderComputer: m.senderComputer,
    sent: Boolean(m.sentAt),
    sentAt: m.sentAt,
    size: m.size,
    recipientsPending: Number(n.rows[0].n),
  };
}

/**
 * A recipient's delete removes only its own entry; when no entry is left the message and its
 * data go and the sender's bytes are released. The sender's delete retracts the whole message.
 */
export async function deleteMessage(pool: pg.Pool, caller: Caller, messageId: string): Promise<{ released: bigint }> {
  return tx(pool, (c) => deleteMessageIn(c, caller, messageId));
}

/** deleteMessage inside the caller's transaction (e.g. deleteComputer's). */
export async function deleteMessageIn(
  c: pg.PoolClient,
  caller: Caller,
  messageId: string,
): Promise<{ released: bigint }> {
  {
    const m = await lockMessage(c, caller.realmId, messageId);
    if (m.senderUserId !== caller.userId) {
      if (!m.sentAt) throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
      // Delete this computer's entry and count what is left in one statement. Its snapshot is
      // taken after the row lock above, so every other delete of this message is visible.
      const d = await c.query<{ deleted: string; total: string }>(
        named(
          `WITH d AS (DELETE FROM message_recipients WHERE "messageId" = $1 AND "userId" = $2 AND (computer = $3 OR computer = '') RETURNING 1)
         SELECT (SELECT count(*) FROM d)::text AS deleted, (SELECT count(*) FROM message_recipients WHERE "messageId" = $1)::text AS total`,
          [m.id, caller.userId, caller.computer],
        ),
      );
      if (d.rows[0].deleted === "0") throw new DomainError("NOSUCHMESSAGE", `No message ${messageId}.`);
      if (Number(d.rows[0].total) > Number(d.rows[0].deleted)) return { released: 0n };
    }
    return { released: await dropMessage(c, m) };
  }
}

/**
 * Deletes a locked message and releases its bytes from the local sender; a message taken from
 * another realm (no local sender) releases them from that realm's allowance (federation_peers).
 */
export async function dropMessage(
  c: pg.PoolClient,
  m: { id: bigint; senderUserId: string | null; size: bigint },
): Promise<bigint> {
  // The charged amount is read from the deleted row itself (data + overhead), so a caller's copy
  // of the size can never release a different figure than was charged.
  const d = await c.query<{ senderId: string; charged: string }>(
    named(`DELETE FROM messages WHERE id = $1 RETURNING "senderId", (size + "overheadBytes")::text AS charged`, [m.id]),
  );
  if (!d.rows[0]) return 0n;
  const charged = BigInt(d.rows[0].charged);
  if (m.senderUserId) await releaseBytes(c, m.senderUserId, charged, "message");
  else {
    const from = parseUserId(d.rows[0].senderId)?.realmId;
    if (from)
      await c.query(`UPDATE federation_peers SET "bytesHeld" = GREATEST("bytesHeld" - $2, 0) WHERE "realmId" = $1`, [
        from,
        charged.toString(),
      ]);
  }
  return charged;
}

/**
 * Drops those of the given messages (ids) that have no recipient entry left, sent or not, each
 * locked in id order, releasing their bytes. Used when recipients vanish (a computer or an
 * account deleted): a message to nobody must not stay charged. Returns how many were dropped.
 */
export async function dropOrphanedMessages(c: pg.PoolClient, ids: string[]): Promise<number> {
  let n = 0;
  for (const id of [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))) {
    const m = await c.query<{ id: bigint; senderUserId: string | null; size: bigint }>(
      named(`SELECT id, "senderUserId", size FROM messages m WHERE id = $1 FOR UPDATE`, [id]),
    );
    if (!m.rows[0]) continue;
    // A new statement after the lock: sees every entry change committed before it.
    const rest = await c.query(named(`SELECT 1 FROM message_recipients WHERE "messageId" = $1 LIMIT 1`, [id]));
    if (rest.rowCount) continue;
    await dropMessage(c, { ...m.rows[0], size: BigInt(m.rows[0].size) });
    n++;
  }
  return n;
}

/**
 * Crash leftovers: messages created (and maybe written) but never sealed, older than `maxAgeMs`
 * (the daemon or client died mid-upload), are dropped and their bytes released by the periodic
 * sweep instead of staying charged until retention. Returns how many.
 */
export async function releaseStaleUnsent(pool: pg.Pool, maxAgeMs: number, limit = 500): Promise<number> {
  const ids = await pool.query<{ id: bigint }>(
    `SELECT id FROM messages WHERE "sentAt" IS NULL AND "createdAt" < now() - $1 * interval '1 millisecond' ORDER BY "createdAt" LIMIT $2`,
    [maxAgeMs, limit],
  );
  let n = 0;
  for (const { id } of ids.rows) {
    await tx(pool, async (c) => {
      const r = await c.query<{ id: bigint; senderUserId: string | null; size: bigint }>(
        `SELECT id, "senderUserId", size FROM messages WHERE id = $1 AND "sentAt" IS NULL
            AND "createdAt" < now() - $2 * interval '1 millisecond' FOR UPDATE SKIP LOCKED`,
        [id, maxAgeMs],
      );
      if (r.rows[0]) {
        await dropMessage(c, { ...r.rows[0], size: BigInt(r.rows[0].size) });
        n++;
      }
    });
  }
  return n;
}

/** Retention: drops messages past their expiry (sent or abandoned). Returns how many. */
export async function expireMessages(pool: pg.Pool, limit = 500): Promise<number> {
  const ids = await pool.query<{ id: bigint }>(
    `SELECT id FROM messages WHERE "expiresAt" < now() ORDER BY "expiresAt" LIMIT $1`,
    [limit],
  );
  let n = 0;
  for (const { id } of ids.rows) {
    await tx(pool, async (c) => {
      const r = await c.query<{ id: bigint; senderUserId: string | null; size: bigint }>(
        `SELECT id, "senderUserId", size FROM messages WHERE id = $1 AND "expiresAt" < now() FOR UPDATE SKIP LOCKED`,
        [id],
      );
      if (r.rows[0]) {
        await dropMessage(c, { ...r.rows[0], size: BigInt(r.rows[0].size) });
        n++;
      }
    });
  }
  return n;
}
