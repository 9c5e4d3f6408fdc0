// Channels, as the original designed them (createchannel, addchannelmember, invitetochannel,
// acceptchannelinvite, listchannelmembers, removechannelmember, leavechannel, deletechannel,
// and authenticate's connection type `channel`): a live, bi-directional relay between the
// computers of its members, for traffic that needs low latency but no delivery guarantee
// (stored messages are the reliable path). Nothing is kept: a packet reaches the member
// connections that are open at that moment, on any daemon instance, through the database
// (channel_packets, read by id after a NOTIFY, pruned after a minute, like immediate messages).
import crypto from "node:crypto";
import type pg from "pg";
import { CHANNELS } from "../db/notify.ts";
import { tx } from "../db/tx.ts";
import { DomainError } from "./errors.ts";

export const CHANNEL_LIMITS = { maxNameBytes: 200, maxPacketBytes: 64 * 1024, maxMembers: 100 } as const;

/** NOTIFY payloads on CHANNELS.channel. */
export type ChannelNotice =
  | { k: "packet"; id: string; ch: string }
  | { k: "invited"; ch: string; u: string; name: string; owner: string }
  | { k: "joined"; ch: string; member: string }
  /** Channel connections of `u` (all members when absent) on `ch` end. */
  | { k: "closed"; ch: string; u?: string; reason: string };

type Queryable = pg.Pool | pg.PoolClient;

async function notifyChannel(db: Queryable, n: ChannelNotice): Promise<void> {
  await db.query(`SELECT pg_notify($1, $2)`, [CHANNELS.channel, JSON.stringify(n)]);
}

interface Membership {
  ownerId: string;
  name: string;
  status: "INVITED" | "ACTIVE";
}

/** The caller's membership; NOSUCHCHANNEL when the channel does not exist or the caller is not in it. */
async function membership(db: Queryable, channelId: string, userId: string, lock = false): Promise<Membership> {
  if (!/^[0-9a-f-]{36}$/i.test(channelId)) throw new DomainError("NOSUCHCHANNEL", "no such channel");
  const r = await db.query<Membership>(
    `SELECT c."ownerId", c.name, m.status FROM channels c JOIN channel_members m ON m."channelId" = c.id
      WHERE c.id = $1 AND m."userId" = $2 ${lock ? "FOR UPDATE OF c" : ""}`,
    [channelId, userId],
  );
  if (!r.rows[0]) throw new DomainError("NOSUCHCHANNEL", "no such channel, or you are not a member");
  return r.rows[0];
}

function ownerOnly(m: Membership, userId: string, what: string): void {
  if (m.ownerId !== userId) throw new DomainError("UNAUTHORIZED", `only the channel's creator may ${what}`);
}

/** Creates a channel owned (and joined) by `ownerId`. QUOTAEXCEEDED past the realm's channels per user. */
export async function createChannel(pool: pg.Pool, realmId: string, ownerId: string, name: string): Promise<string> {
  if (!name.trim() || Buffer.byteLength(name) > CHANNEL_LIMITS.maxNameBytes)
    throw new DomainError("BADARGUMENTS", `a channel name has 1 to ${CHANNEL_LIMITS.maxNameBytes} bytes`);
  return tx(pool, async (c) => {
    // The owner's row lock serialises its creates; the count is its own statement (fresh snapshot).
    const u = await c.query<{ max: number }>(
      `SELECT r."maxChannelsPerUser" AS max FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1 FOR UPDATE OF u`,
      [ownerId],
    );
    const n = await c.query<{ n: string }>(`SELECT count(*) AS n FROM channels WHERE "ownerId" = $1`, [ownerId]);
    if (Number(n.rows[0].n) >= u.rows[0].max)
      throw new DomainError("QUOTAEXCEEDED", `you may have at most ${u.rows[0].max} channels`);
    const id = crypto.randomUUID();
    await c.query(`INSERT INTO channels (id, "realmId", "ownerId", name) VALUES ($1, $2, $3, $4)`, [
      id,
      realmId,
      ownerId,
      name,
    ]);
    await c.query(`INSERT INTO channel_members ("channelId", "userId", status) VALUES ($1, $2, 'ACTIVE')`, [
      id,
      ownerId,
    ]);
    return id;
  });
}

/** The creator invites a user of the realm; the invitee's computers get `invitetochannel`. */
export async function addChannelMember(
  pool: pg.Pool,
  channelId: string,
  ownerId: string,
  ownerFullId: string,
  memberId: string,
): Promise<void> {
  await tx(pool, async (c) => {
    const m = await membership(c, channelId, ownerId, true);
    ownerOnly(m, ownerId, "add members");
    const count = await c.query<{ n: string }>(`SELECT count(*) AS n FROM channel_members WHERE "channelId" = $1`, [
      channelId,
    ]);
    if (Number(count.rows[0].n) >= CHANNEL_LIMITS.maxMembers)
      throw new DomainError("QUOTAEXCEEDED", `a channel has at most ${CHANNEL_LIMITS.maxMembers} members`);
    const ins = await c.query(
      `INSERT INTO channel_members ("channelId", "userId", status) VALUES ($1, $2, 'INVITED') ON CONFLICT DO NOTHING`,
      [channelId, memberId],
    );
    if (!ins.rowCount) throw new DomainError("ALREADYEXISTS", "that user is already a member or invited");
    await notifyChannel(c, { k: "invited", ch: channelId, u: memberId, name: m.name, owner: ownerFullId });
  });
}

/** An invitee accepts; the channel's open connections get `newchannelmember`. */
export async function acceptChannelInvite(pool: pg.Pool, channelId: string, userId: string, fullId: string) {
  await tx(pool, async (c) => {
    const m = await membership(c, channelId, userId, true);
    if (m.status === "ACTIVE") throw new DomainError("ALREADYEXISTS", "you are already a member of this channel");
    await c.query(`UPDATE channel_members SET status = 'ACTIVE' WHERE "channelId" = $1 AND "userId" = $2`, [
      channelId,
      userId,
    ]);
    await notifyChannel(c, { k: "joined", ch: channelId, member: fullId });
  });
}

/** Members with their state: full user id, owner/member, active/invited; the owner first. */
export async function listChannelMembers(pool: pg.Pool, channelId: string, userId: string): Promise<string[]> {
  await membership(pool, channelId, userId);
  const r = await pool.query<{ line: string }>(
    `SELECT u."realmId" || '::' || u.username || ' ' || CASE WHEN c."ownerId" = u.id THEN 'owner' ELSE 'member' END
            || ' ' || lower(m.status::text) AS line
       FROM channel_members m JOIN users u ON u.id = m."userId" JOIN channels c ON c.id = m."channelId"
      WHERE m."channelId" = $1 ORDER BY c."ownerId" = u.id DESC, u."usernameKey"`,
    [channelId],
  );
  return r.rows.map((x) => x.line);
}

/** The caller's channels: `id status role name` (the name last; it may contain spaces). */
export async function listChannels(pool: pg.Pool, userId: string): Promise<string[]> {
  const r = await pool.query<{ line: string }>(
    `SELECT c.id || ' ' || lower(m.status::text) || ' ' || CASE WHEN c."ownerId" = $1 THEN 'owner' ELSE 'member' END
            || ' ' || c.name AS line
       FROM channel_members m JOIN channels c ON c.id = m."channelId" WHERE m."userId" = $1 ORDER BY c."createdAt", c.id`,
    [userId],
  );
  return r.rows.map((x) => x.line);
}

/** The creator removes a member (not itself); the member's channel connections are closed. */
export async function removeChannelMember(pool: pg.Pool, channelId: string, ownerId: string, memberId: string) {
  await tx(pool, async (c) => {
    const m = await membership(c, channelId, ownerId, true);
    ownerOnly(m, ownerId, "remove members");
    if (memberId === ownerId) throw new DomainError("BADARGUMENTS", "the creator deletes the channel instead");
    const d = await c.query(`DELETE FROM channel_members WHERE "channelId" = $1 AND "userId" = $2`, [
      channelId,
      memberId,
    ]);
    if (!d.rowCount) throw new DomainError("NOSUCHUSER", "that user is not a member of this channel");
    await notifyChannel(c, { k: "closed", ch: channelId, u: memberId, reason: "removed from the channel" });
  });
}

/** A member leaves (or declines an invitation); its channel connections are closed. */
export async function leaveChannel(pool: pg.Pool, channelId: string, userId: string) {
  await tx(pool, async (c) => {
    const m = await membership(c, channelId, userId, true);
    if (m.ownerId === userId) throw new DomainError("BADARGUMENTS", "the creator deletes the channel instead");
    await c.query(`DELETE FROM channel_members WHERE "channelId" = $1 AND "userId" = $2`, [channelId, userId]);
    await notifyChannel(c, { k: "closed", ch: channelId, u: userId, reason: "you left the channel" });
  });
}

/** The creator deletes the channel; every channel connection on it gets `channelclosed` and is closed. */
export async function deleteChannel(pool: pg.Pool, channelId: string, ownerId: string) {
  await tx(pool, async (c) => {
    const m = await membership(c, channelId, ownerId, true);
    ownerOnly(m, ownerId, "delete it");
    await c.query(`DELETE FROM channels WHERE id = $1`, [channelId]);
    await notifyChannel(c, { k: "closed", ch: channelId, reason: "the channel was deleted" });
  });
}

/** authenticate type channel: the user must be an ACTIVE member. */
export async function checkChannelLogin(pool: pg.Pool, channelId: string, userId: string): Promise<void> {
  const m = await membership(pool, channelId, userId);
  if (m.status !== "ACTIVE") throw new DomainError("UNAUTHORIZED", "accept the channel invitation first");
}

/**
 * Relays one packet: stored for a moment and notified by id, in one statement, only while the
 * sender is an ACTIVE member (so a removal racing a send cannot leak a packet). `to` is a
 * member's user id, or null for every other member. → false when the sender is no member.
 */
export async function sendChannelPacket(
  pool: pg.Pool,
  p: {
    channelId: string;
    fromUserId: string;
    fromFullId: string;
    fromComputer: string;
    toUserId: string | null;
    body: Buffer;
  },
): Promise<boolean> {
  const r = await pool.query(
    `WITH ok AS (
       SELECT 1 FROM channel_members WHERE "channelId" = $1 AND "userId" = $2 AND status = 'ACTIVE'
     ), pkt AS (
       INSERT INTO channel_packets ("channelId", "fromUserId", "fromComputer", "toUserId", body)
       SELECT $1, $3, $4, $5, $6 FROM ok RETURNING id
     )
     SELECT pg_notify($7, json_build_object('k', 'packet', 'id', pkt.id::text, 'ch', $1::text)::text) FROM pkt`,
    [p.channelId, p.fromUserId, p.fromFullId, p.fromComputer, p.toUserId, p.body, CHANNELS.channel],
  );
  return (r.rowCount ?? 0) > 0;
}

export interface ChannelPacket {
  channelId: string;
  fromUserId: string;
  fromComputer: string;
  toUserId: string | null;
  body: Buffer;
}

export async function readChannelPacket(pool: pg.Pool, id: string): Promise<ChannelPacket | null> {
  const r = await pool.query<ChannelPacket>(
    `SELECT "channelId", "fromUserId", "fromComputer", "toUserId", body FROM channel_packets WHERE id = $1`,
    [id],
  );
  return r.rows[0] ?? null;
}

export async function pruneChannelPackets(pool: pg.Pool, maxAgeMs = 60_000): Promise<number> {
  const r = await pool.query(`DELETE FROM channel_packets WHERE "createdAt" < now() - $1 * interval '1 millisecond'`, [
    maxAgeMs,
  ]);
  return r.rowCount ?? 0;
}
