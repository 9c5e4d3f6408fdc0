// The member realm's side of a workspace that lives on another realm (its home realm): the
// mirror row (workspaces.homeRealmId = home) with this realm's invited members, and the changes
// the home realm forwards (wschangebegin/data/commit), stored for the members' computers here,
// charged to the home realm's allowance (federation_peers.bytesHeld) and freed by the usual
// rule (workspace-gc.ts). Every step is idempotent: a change is keyed by (workspace, seq).
// The mirror has its own id on this realm (mirrorIdFor): the wire carries the home realm's id
// (workspaces.remoteId here), so any number of realms on one database each keep their own mirror.
import crypto from "node:crypto";
import type pg from "pg";
import { DomainError } from "../domain/errors.ts";
import { tx } from "../db/tx.ts";
import { chargePeerBytes, releasePeerBytes } from "../domain/quota.ts";
import { foldUsername, parseUserId } from "../domain/usernames.ts";
import { WORKSPACE_LIMITS, type WorkspaceRole } from "../domain/workspaces.ts";
import { freeAcked } from "../domain/workspace-gc.ts";
import { queueMirrorAcks } from "../domain/workspace-federation.ts";
import { CHANNELS } from "../db/notify.ts";
import { settleChange } from "./workspace-publish-mirror.ts";
import { storeRemoteChangeBlocks } from "./change-blocks.ts";

const B = WORKSPACE_LIMITS.blockBytes;

export interface MirrorInvite {
  workspaceId: string;
  name: string;
  creatorId: string;
  memberId: string;
  role: WorkspaceRole;
}

export function notify(c: pg.PoolClient, event: object): Promise<unknown> {
  return c.query(`SELECT pg_notify($1, $2)`, [CHANNELS.workspace, JSON.stringify(event)]);
}

/**
 * The id of this realm's mirror of a workspace of `homeRealmId` (`remoteId` is its id there): a
 * UUID derived from all three, so a retried invitation finds the same row and two realms on one
 * database never collide.
 */
export function mirrorIdFor(localRealmId: string, homeRealmId: string, remoteId: string): string {
  const h = crypto
    .createHash("sha256")
    .update(`${localRealmId}\n${homeRealmId}\n${remoteId.toLowerCase()}`)
    .digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface Mirror {
  /** The mirror's id on this realm. */
  id: string;
  head: bigint;
  name: string;
}

/** Locks this realm's mirror of the home realm's workspace `remoteId` (null: none here). */
export async function lockMirror(
  c: pg.PoolClient,
  localRealmId: string,
  homeRealmId: string,
  remoteId: string,
): Promise<Mirror | null> {
  const r = await c.query<{ id: string; nextSeq: bigint; name: string }>(
    `SELECT id, "nextSeq", name FROM workspaces WHERE "realmId" = $1 AND "homeRealmId" = $2 AND "remoteId" = $3 FOR NO KEY UPDATE`,
    [localRealmId, homeRealmId, remoteId],
  );
  const w = r.rows[0];
  return w ? { id: w.id, head: BigInt(w.nextSeq) - 1n, name: w.name } : null;
}

/** The local id of this realm's mirror of `remoteId` (no lock; null when there is none). */
async function findMirror(
  c: pg.PoolClient,
  localRealmId: string,
  homeRealmId: string,
  remoteId: string,
): Promise<string | null> {
  const r = await c.query<{ id: string }>(
    `SELECT id FROM workspaces WHERE "realmId" = $1 AND "homeRealmId" = $2 AND "remoteId" = $3`,
    [localRealmId, homeRealmId, remoteId],
  );
  return r.rows[0]?.id ?? null;
}

/** wsinvite: creates (or renames) the mirror and records the local user as INVITED; they are notified. */
export async function receiveInvite(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  inv: MirrorInvite,
): Promise<void> {
  if (parseUserId(inv.creatorId)?.realmId !== peerRealmId)
    throw new DomainError(
      "UNAUTHORIZED",
      `realm ${peerRealmId} may not speak for workspaces created by ${inv.creatorId}`,
    );
  const p = parseUserId(inv.memberId);
  if (!p || p.realmId !== localRealmId)
    throw new DomainError("BADARGUMENTS", `${inv.memberId} is not a user of realm ${localRealmId}`);
  await tx(pool, async (c) => {
    const u = await c.query<{ id: string; username: string }>(
      `SELECT id, username FROM users WHERE "realmId" = $1 AND "usernameKey" = $2 AND status = 'ACTIVE'`,
      [localRealmId, foldUsername(p.username)],
    );
    const user = u.rows[0];
    if (!user) throw new DomainError("NOSUCHUSER", `no user ${inv.memberId}`);
    const canonical = `${localRealmId}::${user.username}`;
    await c.query(
      `INSERT INTO workspaces (id, "realmId", name, "creatorId", "homeRealmId", "remoteId") VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING`,
      [
        mirrorIdFor(localRealmId, peerRealmId, inv.workspaceId),
        localRealmId,
        inv.name,
        inv.creatorId,
        peerRealmId,
        inv.workspaceId,
      ],
    );
    const have = await lockMirror(c, localRealmId, peerRealmId, inv.workspaceId);
    if (!have) throw new DomainError("FAIL", `the mirror of workspace ${inv.workspaceId} could not be created`);
    if (have.name !== inv.name) await c.query(`UPDATE workspaces SET name = $2 WHERE id = $1`, [have.id, inv.name]);
    const r = await c.query(
      `INSERT INTO workspace_members ("workspaceId", "memberId", "userId", role, status) VALUES ($1, $2, $3, $4, 'INVITED')
       ON CONFLICT ("workspaceId", "memberId") DO UPDATE SET status = 'INVITED', role = EXCLUDED.role, "invitedAt" = now(), "joinedAt" = NULL, "suspendedAt" = NULL, "remoteAckedSeq" = NULL
        WHERE workspace_members.status IN ('LEFT', 'REMOVED')`,
      [have.id, canonical, user.id, inv.role],
    );
    if (r.rowCount) await notify(c, { kind: "invited", workspaceId: have.id, userId: user.id, detail: inv.name });
  });
}

/** wsremove: the local member stops receiving and pinning here at once; they are notified. */
export async function receiveRemove(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  workspaceId: string,
  memberId: string,
): Promise<void> {
  await tx(pool, async (c) => {
    const w = await lockMirror(c, localRealmId, peerRealmId, workspaceId);
    if (!w) return;
    const r = await c.query<{ memberId: string; userId: string | null }>(
      `UPDATE workspace_members SET status = 'REMOVED' WHERE "workspaceId" = $1 AND lower("memberId") = lower($2) AND status NOT IN ('LEFT', 'REMOVED') RETURNING "memberId", "userId"`,
      [w.id, memberId],
    );
    const m = r.rows[0];
    if (!m) return;
    await c.query(`DELETE FROM workspace_cursors WHERE "workspaceId" = $1 AND "memberId" = $2`, [w.id, m.memberId]);
    await freeAcked(c, w.id);
    if (m.userId) await notify(c, { kind: "removed", workspaceId: w.id, userId: m.userId, detail: w.name });
  });
}

/**
 * Mirror: the home realm's answer to a relayed accept: the member's computers start at its head.
 * The mirror's own head jumps there only when no other member here takes changes: otherwise
 * changes up to that head may still be on their way for the others, and must not be skipped.
 */
export async function applyAcceptedHead(
  pool: pg.Pool,
  workspaceId: string,
  memberId: string,
  head: bigint,
): Promise<void> {
  await tx(pool, async (c) => {
    const w = await c.query(`SELECT 1 FROM workspaces WHERE id = $1 AND "homeRealmId" IS NOT NULL FOR NO KEY UPDATE`, [
      workspaceId,
    ]);
    if (!w.rowCount) return;
    const others = await c.query(
      `SELECT 1 FROM workspace_members WHERE "workspaceId" = $1 AND "memberId" <> $2 AND status = 'ACTIVE' LIMIT 1`,
      [workspaceId, memberId],
    );
    if (!others.rowCount)
      await c.query(`UPDATE workspaces SET "nextSeq" = GREATEST("nextSeq", $2::bigint + 1) WHERE id = $1`, [
        workspaceId,
        head.toString(),
      ]);
    await c.query(
      `UPDATE workspace_cursors SET "ackedSeq" = GREATEST("ackedSeq", $3), "updatedAt" = now() WHERE "workspaceId" = $1 AND "memberId" = $2`,
      [workspaceId, memberId, head.toString()],
    );
    await c.query(
      `UPDATE workspace_members SET "remoteAckedSeq" = GREATEST(COALESCE("remoteAckedSeq", 0), $3) WHERE "workspaceId" = $1 AND "memberId" = $2`,
      [workspaceId, memberId, head.toString()],
    );
  });
}

/** Mirror: the home realm refused a relayed accept (the invitation was withdrawn): the member is REMOVED here. */
export async function acceptRefused(pool: pg.Pool, workspaceId: string, memberId: string): Promise<void> {
  await tx(pool, async (c) => {
    await c.query(`SELECT 1 FROM workspaces WHERE id = $1 FOR NO KEY UPDATE`, [workspaceId]);
    await c.query(
      `UPDATE workspace_members SET status = 'REMOVED' WHERE "workspaceId" = $1 AND "memberId" = $2 AND status = 'ACTIVE'`,
      [workspaceId, memberId],
    );
    await c.query(`DELETE FROM workspace_cursors WHERE "workspaceId" = $1 AND "memberId" = $2`, [
      workspaceId,
      memberId,
    ]);
    await freeAcked(c, workspaceId);
  });
}

export interface MirrorChange {
  workspaceId: string;
  seq: bigint;
  size: bigint;
  authorId: string;
  authorComputer: string;
}

export const outOfOrder = (seq: bigint, head: bigint) =>
  new DomainError("FAIL", `change ${seq} arrived before change ${head + 1n}; retry later`);

/**
 * wschangebegin: "complete" when this realm already has the change (or nobody here needs it), else
 * stages it. `originChangeId`: the change was published here (the id of its forwarded copy), so
 * the home realm has ordered it: the forwarded copy is settled first, whatever became of the
 * ws-publish reply (so it cannot be forwarded twice once this realm acknowledges the seq).
 */
export async function beginMirrorChange(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  ch: MirrorChange,
  maxBytesPerPeer: number,
  originChangeId: bigint | null = null,
): Promise<"open" | "complete"> {
  return tx(pool, (c) => beginIn(c, localRealmId, peerRealmId, ch, maxBytesPerPeer, originChangeId));
}

async function beginIn(
  c: pg.PoolClient,
  localRealmId: string,
  peerRealmId: string,
  ch: MirrorChange,
  maxBytesPerPeer: number,
  originChangeId: bigint | null,
): Promise<"open" | "complete"> {
  // The author is of the home realm, or of this one (a change a member here published through the home realm).
  const authorRealm = parseUserId(ch.authorId)?.realmId;
  if (authorRealm !== peerRealmId && authorRealm !== localRealmId)
    throw new DomainError("UNAUTHORIZED", `realm ${peerRealmId} may not forward changes by ${ch.authorId}`);
  const w = await lockMirror(c, localRealmId, peerRealmId, ch.workspaceId);
  if (!w) throw new DomainError("NOSUCHWORKSPACE", `no workspace ${ch.workspaceId} here`);
  if (originChangeId !== null) await settleChange(c, w.id, originChangeId, { seq: ch.seq }, ch.authorId);
  if (ch.seq <= w.head) return "complete";
  if (ch.seq > w.head + 1n) throw outOfOrder(ch.seq, w.head);
  const active = await c.query(
    `SELECT 1 FROM workspace_members WHERE "workspaceId" = $1 AND status = 'ACTIVE' LIMIT 1`,
    [w.id],
  );
  if (!active.rowCount) {
    await c.query(`UPDATE workspaces SET "nextSeq" = $2 WHERE id = $1`, [w.id, (ch.seq + 1n).toString()]);
    return "complete";
  }
  const staged = await c.query<{ id: bigint; size: bigint }>(
    `SELECT id, size FROM workspace_changes WHERE "workspaceId" = $1 AND "stagedSeq" = $2 FOR UPDATE`,
    [w.id, ch.seq.toString()],
  );
  if (staged.rows[0]) {
    if (BigInt(staged.rows[0].size) === ch.size) return "open";
    await c.query(`DELETE FROM workspace_changes WHERE id = $1`, [staged.rows[0].id]);
    await releasePeerBytes(c, peerRealmId, BigInt(staged.rows[0].size));
  }
  if (!(await chargePeerBytes(c, peerRealmId, ch.size, maxBytesPerPeer)))
    throw new DomainError(
      "QUOTAEXCEEDED",
      `realm ${localRealmId} already holds as many bytes from realm ${peerRealmId} as it allows (${maxBytesPerPeer}); its members must sync first`,
    );
  await c.query(
    `INSERT INTO workspace_changes ("workspaceId", "authorId", "authorUserId", "authorComputer", size, "stagedSeq") VALUES ($1, $2, NULL, $3, $4, $5)`,
    [w.id, ch.authorId, ch.authorComputer, ch.size.toString(), ch.seq.toString()],
  );
  return "open";
}

async function lockStaged(
  c: pg.PoolClient,
  localRealmId: string,
  peerRealmId: string,
  workspaceId: string,
  seq: bigint,
): Promise<{ id: bigint; size: bigint } | null> {
  const r = await c.query<{ id: bigint; size: bigint }>(
    `SELECT ch.id, ch.size FROM workspace_changes ch JOIN workspaces w ON w.id = ch."workspaceId"
      WHERE ch."workspaceId" = $1 AND ch."stagedSeq" = $2 AND w."realmId" = $3 AND w."homeRealmId" = $4 FOR UPDATE OF ch`,
    [workspaceId, seq.toString(), localRealmId, peerRealmId],
  );
  return r.rows[0] ? { id: r.rows[0].id, size: BigInt(r.rows[0].size) } : null;
}

/** wschangedata: whole blocks at a block boundary (the last may be short). Rewriting a block is harmless. */
export async function writeMirrorChange(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  workspaceId: string,
  seq: bigint,
  offset: bigint,
  data: Buffer,
): Promise<void> {
  if (offset % BigInt(B) !== 0n) throw new DomainError("BADARGUMENTS", `offset must be a multiple of ${B}`);
  await tx(pool, async (c) => {
    const id = await findMirror(c, localRealmId, peerRealmId, workspaceId);
    if (!id) throw new DomainError("NOSUCHWORKSPACE", `no workspace ${workspaceId} here`);
    const ch = await lockStaged(c, localRealmId, peerRealmId, id, seq);
    if (!ch) {
      const done = await c.query(`SELECT 1 FROM workspace_changes WHERE "workspaceId" = $1 AND seq = $2`, [
        id,
        seq.toString(),
      ]);
      if (done.rowCount) return;
      throw new DomainError("NOSUCHMESSAGE", `no transfer of change ${seq} in progress; send wschangebegin first`);
    }
    await storeRemoteChangeBlocks(c, ch, offset, data);
  });
}

/** wschangecommit: every byte must have arrived; the change gets its seq, local members are notified. */
export async function commitMirrorChange(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  workspaceId: string,
  seq: bigint,
): Promise<void> {
  await tx(pool, (c) => commitIn(c, localRealmId, peerRealmId, workspaceId, seq));
}

async function commitIn(
  c: pg.PoolClient,
  localRealmId: string,
  peerRealmId: string,
  workspaceId: string,
  seq: bigint,
): Promise<void> {
  const w = await lockMirror(c, localRealmId, peerRealmId, workspaceId);
  if (!w) throw new DomainError("NOSUCHWORKSPACE", `no workspace ${workspaceId} here`);
  if (seq <= w.head) return;
  if (seq > w.head + 1n) throw outOfOrder(seq, w.head);
  const ch = await lockStaged(c, localRealmId, peerRealmId, w.id, seq);
  if (!ch) throw new DomainError("NOSUCHMESSAGE", `no transfer of change ${seq} in progress; send wschangebegin first`);
  const got = await c.query<{ n: bigint }>(
    `SELECT COALESCE(sum(octet_length(data)), 0)::bigint AS n FROM workspace_change_blocks WHERE "changeId" = $1`,
    [ch.id],
  );
  if (BigInt(got.rows[0].n) !== ch.size)
    throw new DomainError("FAIL", `only ${got.rows[0].n} of ${ch.size} bytes arrived; send the missing blocks`);
  const a = await c.query<{ authorId: string; authorComputer: string }>(
    `UPDATE workspace_changes SET seq = "stagedSeq", "stagedSeq" = NULL, "sealedAt" = now() WHERE id = $1 RETURNING "authorId", "authorComputer"`,
    [ch.id],
  );
  await c.query(`UPDATE workspaces SET "nextSeq" = $2 WHERE id = $1`, [w.id, (seq + 1n).toString()]);
  await notify(c, {
    kind: "change",
    workspaceId: w.id,
    seq: seq.toString(),
    authorId: a.rows[0].authorId,
    authorComputer: a.rows[0].authorComputer,
  });
  await freeAcked(c, w.id, seq);
  await queueMirrorAcks(c, w.id, peerRealmId);
}
