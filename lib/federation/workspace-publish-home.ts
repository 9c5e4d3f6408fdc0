// The home realm's side of a change published by a member on another realm (wspublishbegin,
// wspublishdata, wspublishcommit): staged under the id the author's realm chose
// ("<realm>/<id>", so a retried forward is stored once), charged to that realm's allowance here
// (federation_peers.bytesHeld), then given the next seq of the one total order and forwarded
// like any change. The usual freeing rule (workspace-gc.ts) releases that allowance.
import type pg from "pg";
import { DomainError } from "../domain/errors.ts";
import { tx } from "../db/tx.ts";
import { chargePeerBytes, releasePeerBytes } from "../domain/quota.ts";
import { parseUserId } from "../domain/usernames.ts";
import { WORKSPACE_LIMITS } from "../domain/workspaces.ts";
import { freeAcked } from "../domain/workspace-gc.ts";
import { queueRemoteChange } from "../domain/workspace-federation.ts";
import { CHANNELS } from "../db/notify.ts";
import { storeRemoteChangeBlocks } from "./change-blocks.ts";

const B = WORKSPACE_LIMITS.blockBytes;

export interface RemotePublish {
  workspaceId: string;
  changeId: string;
  size: bigint;
  authorId: string;
  authorComputer: string;
}

export type PublishBegin = { state: "open" } | { state: "complete"; seq: bigint };

interface HomeLock {
  head: bigint;
  maxBytes: bigint;
  /** The author's member row (canonical id) when ACTIVE, else null. */
  activeMemberId: string | null;
}

/** Locks the home workspace and looks up the author, a member of the peer realm. */
async function lockHome(
  c: pg.PoolClient,
  localRealmId: string,
  peerRealmId: string,
  workspaceId: string,
  authorId: string,
): Promise<HomeLock> {
  if (parseUserId(authorId)?.realmId !== peerRealmId)
    throw new DomainError("UNAUTHORIZED", `realm ${peerRealmId} may not publish for ${authorId}`);
  const w = await c.query<{ nextSeq: bigint; maxBytes: bigint }>(
    `SELECT w."nextSeq", r."maxWorkspaceChangeBytes" AS "maxBytes" FROM workspaces w JOIN realms r ON r.id = w."realmId"
      WHERE w.id = $1 AND w."realmId" = $2 AND w."homeRealmId" IS NULL FOR NO KEY UPDATE OF w`,
    [workspaceId, localRealmId],
  );
  if (!w.rows[0]) throw new DomainError("NOSUCHWORKSPACE", `no workspace ${workspaceId} on realm ${localRealmId}`);
  const m = await c.query<{ memberId: string }>(
    `SELECT "memberId" FROM workspace_members WHERE "workspaceId" = $1 AND lower("memberId") = lower($2) AND "userId" IS NULL AND status = 'ACTIVE'`,
    [workspaceId, authorId],
  );
  return {
    head: BigInt(w.rows[0].nextSeq) - 1n,
    maxBytes: BigInt(w.rows[0].maxBytes),
    activeMemberId: m.rows[0]?.memberId ?? null,
  };
}

const notMember = (authorId: string, workspaceId: string) =>
  new DomainError(
    "UNAUTHORIZED",
    `${authorId} is not an active member of workspace ${workspaceId}; the change was not published`,
  );

interface Staged {
  id: bigint;
  seq: bigint | null;
  size: bigint;
}

async function lockByOrigin(c: pg.PoolClient, workspaceId: string, originId: string): Promise<Staged | null> {
  const r = await c.query<Staged>(
    `SELECT id, seq, size FROM workspace_changes WHERE "workspaceId" = $1 AND "originId" = $2 FOR UPDATE`,
    [workspaceId, originId],
  );
  const s = r.rows[0];
  return s ? { id: BigInt(s.id), seq: s.seq === null ? null : BigInt(s.seq), size: BigInt(s.size) } : null;
}

/** wspublishbegin: "complete" (with its seq) when already ordered, else stages the change (again "open" on a retry). */
export async function beginRemotePublish(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  p: RemotePublish,
  maxBytesPerPeer: number,
): Promise<PublishBegin> {
  const originId = `${peerRealmId}/${p.changeId}`;
  return tx(pool, async (c) => {
    const h = await lockHome(c, localRealmId, peerRealmId, p.workspaceId, p.authorId);
    const have = await lockByOrigin(c, p.workspaceId, originId);
    if (have?.seq != null) return { state: "complete", seq: have.seq };
    if (!h.activeMemberId) throw notMember(p.authorId, p.workspaceId);
    if (have) {
      if (have.size === p.size) return { state: "open" };
      await c.query(`DELETE FROM workspace_changes WHERE id = $1`, [have.id.toString()]);
      await releasePeerBytes(c, peerRealmId, have.size);
    }
    if (p.size > h.maxBytes)
      throw new DomainError(
        "QUOTAEXCEEDED",
        `a workspace change has at most ${h.maxBytes} bytes on realm ${localRealmId}`,
      );
    if (!(await chargePeerBytes(c, peerRealmId, p.size, maxBytesPerPeer)))
      throw new DomainError(
        "QUOTAEXCEEDED",
        `realm ${localRealmId} already holds as many bytes from realm ${peerRealmId} as it allows (${maxBytesPerPeer})`,
      );
    await c.query(
      `INSERT INTO workspace_changes ("workspaceId", "authorId", "authorUserId", "authorComputer", size, "originId") VALUES ($1, $2, NULL, $3, $4, $5)`,
      [p.workspaceId, h.activeMemberId, p.authorComputer, p.size.toString(), originId],
    );
    return { state: "open" };
  });
}

/** wspublishdata: whole blocks at a block boundary (the last may be short). Rewriting a block is harmless. */
export async function writeRemotePublish(
  pool: pg.Pool,
  peerRealmId: string,
  workspaceId: string,
  changeId: string,
  offset: bigint,
  data: Buffer,
): Promise<void> {
  if (offset % BigInt(B) !== 0n) throw new DomainError("BADARGUMENTS", `offset must be a multiple of ${B}`);
  await tx(pool, async (c) => {
    const ch = await lockByOrigin(c, workspaceId, `${peerRealmId}/${changeId}`);
    if (ch?.seq != null) return;
    if (!ch)
      throw new DomainError(
        "NOSUCHMESSAGE",
        `no transfer of change ${changeId} in progress; send wspublishbegin first`,
      );
    await storeRemoteChangeBlocks(c, ch, offset, data);
  });
}

/** wspublishcommit: every byte must have arrived; the change takes the next seq and flows to every member. Returns its seq (the same on a retry). */
export async function commitRemotePublish(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  workspaceId: string,
  changeId: string,
): Promise<bigint> {
  return tx(pool, async (c) => {
    const pre = await c.query<{ authorId: string }>(
      `SELECT "authorId" FROM workspace_changes WHERE "workspaceId" = $1 AND "originId" = $2`,
      [workspaceId, `${peerRealmId}/${changeId}`],
    );
    if (!pre.rows[0])
      throw new DomainError(
        "NOSUCHMESSAGE",
        `no transfer of change ${changeId} in progress; send wspublishbegin first`,
      );
    const h = await lockHome(c, localRealmId, peerRealmId, workspaceId, pre.rows[0].authorId);
    const ch = await lockByOrigin(c, workspaceId, `${peerRealmId}/${changeId}`);
    if (!ch)
      throw new DomainError(
        "NOSUCHMESSAGE",
        `no transfer of change ${changeId} in progress; send wspublishbegin first`,
      );
    if (ch.seq !== null) return ch.seq;
    if (!h.activeMemberId) {
      await c.query(`DELETE FROM workspace_changes WHERE id = $1`, [ch.id.toString()]);
      await releasePeerBytes(c, peerRealmId, ch.size);
      throw notMember(pre.rows[0].authorId, workspaceId);
    }
    const got = await c.query<{ n: bigint }>(
      `SELECT COALESCE(sum(octet_length(data)), 0)::bigint AS n FROM workspace_change_blocks WHERE "changeId" = $1`,
      [ch.id.toString()],
    );
    if (BigInt(got.rows[0].n) !== ch.size)
      throw new DomainError("FAIL", `only ${got.rows[0].n} of ${ch.size} bytes arrived; send the missing blocks`);
    const seq = h.head + 1n;
    await c.query(`UPDATE workspaces SET "nextSeq" = $2 WHERE id = $1`, [workspaceId, (seq + 1n).toString()]);
    const a = await c.query<{ authorId: string; authorComputer: string }>(
      `UPDATE workspace_changes SET seq = $2, "sealedAt" = now() WHERE id = $1 RETURNING "authorId", "authorComputer"`,
      [ch.id.toString(), seq.toString()],
    );
    const event = {
      kind: "change",
      workspaceId,
      seq: seq.toString(),
      authorId: a.rows[0].authorId,
      authorComputer: a.rows[0].authorComputer,
    };
    await c.query(`SELECT pg_notify($1, $2)`, [CHANNELS.workspace, JSON.stringify(event)]);
    await queueRemoteChange(c, workspaceId, seq);
    await freeAcked(c, workspaceId, seq);
    return seq;
  });
}
