// The receiving side of realm-to-realm delivery. A message from another realm is staged
// (deliverbegin: recipients checked, bytes charged to the sending realm's allowance), filled in
// whole blocks (deliverdata), and sealed (delivercommit: visible to recipients, notified). Every
// step is idempotent by message id, and a sealed id is remembered in federation_received after
// the recipients deleted it, so a retry never makes a second copy.
import type pg from "pg";
import { DomainError } from "../domain/errors.ts";
import { MESSAGE_LIMITS, checkMessageId } from "../domain/messages.ts";
import { tx } from "../db/tx.ts";
import { foldUsername, parseUserId } from "../domain/usernames.ts";

export interface InboundLimits {
  maxInboundBytesPerPeer: number;
  maxInboundMessageBytes: number;
  stagingTtlMs: number;
}

export interface InboundHeader {
  localRealmId: string;
  peerRealmId: string;
  messageId: string;
  senderId: string;
  senderComputer: string;
  size: bigint;
  recipients: Array<{ recipientId: string; computer: string }>;
}

export interface Rejection {
  recipientId: string;
  status: "NOSUCHUSER" | "NOSUCHCOMPUTER";
  reason: string;
}

export type BeginResult = { state: "complete" } | { state: "open"; rejected: Rejection[] };

/** A remote realm may only speak for its own users: the sender's realm must be the authenticated peer. */
export function checkSenderRealm(h: Pick<InboundHeader, "peerRealmId" | "senderId" | "messageId">): DomainError | null {
  const p = parseUserId(h.senderId);
  if (!p || p.realmId !== h.peerRealmId)
    return new DomainError(
      "UNAUTHORIZED",
      `realm ${h.peerRealmId} may not deliver messages from ${h.senderId}: the sender belongs to another realm`,
    );
  return checkMessageId(h.messageId, h.senderId);
}

async function alreadyReceived(c: pg.PoolClient, realmId: string, messageId: string): Promise<boolean> {
  const r = await c.query(`SELECT 1 FROM federation_received WHERE "realmId" = $1 AND "messageId" = $2`, [
    realmId,
    messageId,
  ]);
  return (r.rowCount ?? 0) > 0;
}

export async function beginInbound(pool: pg.Pool, h: InboundHeader, limits: InboundLimits): Promise<BeginResult> {
  const bad = checkSenderRealm(h);
  if (bad) throw bad;
  if (h.size < 0n || h.size > MESSAGE_LIMITS.maxMessageBytes || h.size > BigInt(limits.maxInboundMessageBytes))
    throw new DomainError(
      "TOOLARGE",
      `realm ${h.localRealmId} takes messages of at most ${limits.maxInboundMessageBytes} bytes from other realms`,
    );
  if (h.recipients.length === 0 || h.recipients.length > MESSAGE_LIMITS.maxRecipients)
    throw new DomainError("BADARGUMENTS", `1 to ${MESSAGE_LIMITS.maxRecipients} recipients`);
  return tx(pool, async (c) => {
    await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`inbound:${h.localRealmId}:${h.messageId}`]);
    if (await alreadyReceived(c, h.localRealmId, h.messageId)) return { state: "complete" as const };
    const existing = await c.query<{ id: bigint; senderId: string; size: bigint; sentAt: Date | null }>(
      `SELECT id, "senderId", size, "sentAt" FROM messages WHERE "realmId" = $1 AND "messageId" = $2 FOR UPDATE`,
      [h.localRealmId, h.messageId],
    );
    const ex = existing.rows[0];
    if (ex) {
      if (ex.senderId !== h.senderId)
        throw new DomainError(
          "ALREADYEXISTS",
          `another message with id ${h.messageId} exists on realm ${h.localRealmId}`,
        );
      if (ex.sentAt) return { state: "complete" as const };
      if (BigInt(ex.size) === h.size) return { state: "open" as const, rejected: [] };
      // A restaged delivery with another size: start over.
      await c.query(`DELETE FROM messages WHERE id = $1`, [ex.id]);
      await c.query(`UPDATE federation_peers SET "bytesHeld" = GREATEST("bytesHeld" - $2, 0) WHERE "realmId" = $1`, [
        h.peerRealmId,
        BigInt(ex.size).toString(),
      ]);
    }
    const rows: Array<{ recipientId: string; userId: string; computer: string }> = [];
    const rejected: Rejection[] = [];
    for (const r of h.recipients) {
      const p = parseUserId(r.recipientId);
      if (!p || p.realmId !== h.localRealmId)
        throw new DomainError("BADARGUMENTS", `recipient ${r.recipientId} is not a user of realm ${h.localRealmId}`);
      const u = await c.query<{ id: string; username: string }>(
        `SELECT id, username FROM users WHERE "realmId" = $1 AND "usernameKey" = $2 AND status = 'ACTIVE'`,
        [h.localRealmId, foldUsername(p.username)],
      );
      const user = u.rows[0];
      if (!user) {
        rejected.push({ recipientId: r.recipientId, status: "NOSUCHUSER", reason: `no user ${r.recipientId}` });
        continue;
      }
      const canonical = `${h.localRealmId}::${user.username}`;
      const comps = await c.query<{ name: string }>(
        `SELECT name FROM computers WHERE "userId" = $1 AND ($2 = '' OR name = $2)`,
        [user.id, r.computer],
      );
      if (r.computer && !comps.rows.length) {
        rejected.push({
          recipientId: r.recipientId,
          status: "NOSUCHCOMPUTER",
          reason: `${canonical} has no computer "${r.computer}"`,
        });
        continue;
      }
      if (!comps.rows.length) rows.push({ recipientId: canonical, userId: user.id, computer: "" });
      for (const comp of comps.rows) rows.push({ recipientId: canonical, userId: user.id, computer: comp.name });
    }
    if (!rows.length)
      throw new DomainError(
        "NOSUCHUSER",
        `none of the recipients exist on realm ${h.localRealmId}: ${rejected.map((r) => r.recipientId).join(", ")}`,
      );
    const charged = await c.query(
      `UPDATE federation_peers SET "bytesHeld" = "bytesHeld" + $2 WHERE "realmId" = $1 AND "bytesHeld" + $2 <= $3 RETURNING "bytesHeld"`,
      [h.peerRealmId, h.size.toString(), limits.maxInboundBytesPerPeer],
    );
    if (!charged.rowCount)
      throw new DomainError(
        "QUOTAEXCEEDED",
        `realm ${h.localRealmId} already holds as many bytes from realm ${h.peerRealmId} as it allows (${limits.maxInboundBytesPerPeer}); the recipients must download and delete messages first`,
      );
    const ins = await c.query<{ id: bigint }>(
      `INSERT INTO messages ("realmId", "messageId", "senderId", "senderUserId", "senderComputer", size, "expiresAt")
       VALUES ($1, $2, $3, NULL, $4, $5, now() + $6 * interval '1 millisecond') RETURNING id`,
      [h.localRealmId, h.messageId, h.senderId, h.senderComputer, h.size.toString(), limits.stagingTtlMs],
    );
    const seen = new Set<string>();
    for (const row of rows) {
      const key = `${row.recipientId}\u0000${row.computer}`;
      if (seen.has(key)) continue;
      seen.add(key);
      await c.query(
        `INSERT INTO message_recipients ("messageId", "recipientId", "userId", computer) VALUES ($1, $2, $3, $4)`,
        [ins.rows[0].id, row.recipientId, row.userId, row.computer],
      );
    }
    return { state: "open" as const, rejected };
  });
}

async function lockStaged(
  c: pg.PoolClient,
  localRealmId: string,
  peerRealmId: string,
  messageId: string,
): Promise<{ id: bigint; size: bigint; sentAt: Date | null } | null> {
  const r = await c.query<{ id: bigint; size: bigint; sentAt: Date | null; senderId: string }>(
    `SELECT id, size, "sentAt", "senderId" FROM messages WHERE "realmId" = $1 AND "messageId" = $2 AND "senderUserId" IS NULL FOR UPDATE`,
    [localRealmId, messageId],
  );
  const m = r.rows[0];
  if (!m || parseUserId(m.senderId)?.realmId !== peerRealmId) return null;
  return { id: m.id, size: BigInt(m.size), sentAt: m.sentAt };
}

/** Whole blocks only: offset on a block boundary, length a multiple of the block size or up to the end. */
export async function writeInbound(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  messageId: string,
  offset: bigint,
  data: Buffer,
): Promise<void> {
  const B = MESSAGE_LIMITS.blockBytes;
  if (offset % BigInt(B) !== 0n) throw new DomainError("BADARGUMENTS", `offset must be a multiple of ${B}`);
  await tx(pool, async (c) => {
    const m = await lockStaged(c, localRealmId, peerRealmId, messageId);
    if (!m) throw new DomainError("NOSUCHMESSAGE", `no delivery of ${messageId} in progress; send deliverbegin first`);
    if (m.sentAt) return;
    const end = offset + BigInt(data.length);
    if (end > m.size)
      throw new DomainError("INDEXOUTOFBOUNDS", `data ends at ${end}, past the announced size ${m.size}`);
    if (data.length % B !== 0 && end !== m.size)
      throw new DomainError("BADARGUMENTS", `send whole blocks of ${B} bytes (only the last may be shorter)`);
    for (let pos = 0; pos < data.length; pos += B) {
      const block = Number((offset + BigInt(pos)) / BigInt(B));
      await c.query(
        `INSERT INTO message_blocks ("messageId", block, data) VALUES ($1, $2, $3) ON CONFLICT ("messageId", block) DO UPDATE SET data = EXCLUDED.data`,
        [m.id, block, data.subarray(pos, Math.min(pos + B, data.length))],
      );
    }
  });
}

/** Seals a staged message: every byte must have arrived. Recipients are notified at commit. */
export async function commitInbound(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  messageId: string,
): Promise<number> {
  return tx(pool, async (c) => {
    if (await alreadyReceived(c, localRealmId, messageId)) return 0;
    const m = await lockStaged(c, localRealmId, peerRealmId, messageId);
    if (!m) throw new DomainError("NOSUCHMESSAGE", `no delivery of ${messageId} in progress; send deliverbegin first`);
    const got = await c.query<{ n: bigint }>(
      `SELECT COALESCE(sum(octet_length(data)), 0)::bigint AS n FROM message_blocks WHERE "messageId" = $1`,
      [m.id],
    );
    if (BigInt(got.rows[0].n) !== m.size)
      throw new DomainError("FAIL", `only ${got.rows[0].n} of ${m.size} bytes arrived; send the missing blocks`);
    await c.query(
      `UPDATE messages m SET "sentAt" = now(), "expiresAt" = now() + r."messageRetentionDays" * interval '1 day' FROM realms r WHERE m.id = $1 AND r.id = m."realmId"`,
      [m.id],
    );
    await c.query(
      `INSERT INTO federation_received ("realmId", "messageId", "fromRealmId") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [localRealmId, messageId, peerRealmId],
    );
    const recips = await c.query<{ userId: string; computer: string }>(
      `SELECT "userId", computer FROM message_recipients WHERE "messageId" = $1 AND "userId" IS NOT NULL`,
      [m.id],
    );
    for (const r of recips.rows)
      await c.query(`SELECT pg_notify('og_message_available', $1)`, [
        JSON.stringify({ realmId: localRealmId, userId: r.userId, computer: r.computer, messageId }),
      ]);
    return recips.rows.length;
  });
}

/** Forgets received ids older than the retention (a retry that late is no longer expected). */
export async function pruneReceived(pool: pg.Pool, days: number): Promise<void> {
  await pool.query(`DELETE FROM federation_received WHERE "receivedAt" < now() - $1 * interval '1 day'`, [days]);
}
