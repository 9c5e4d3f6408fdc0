// The home realm's side of remote members: what their realm relays (wsaccept, wsack, wsleave).
// A remote member is one member row (userId null) with one cursor, computer "", that its realm
// advances once every computer of the member there acknowledged; the usual freeing rule
// (workspace-gc.ts) then holds each change, charged to its author, until that realm took it
// and its computers have it.
import type pg from "pg";
import { DomainError } from "../domain/errors.ts";
import { tx } from "../db/tx.ts";
import { parseUserId } from "../domain/usernames.ts";
import { dropOpenChanges, freeAcked } from "../domain/workspace-gc.ts";
import type { MemberStatus } from "../domain/workspaces.ts";

interface RemoteMember {
  memberId: string;
  status: MemberStatus;
  head: bigint;
}

/** Locks the home workspace and finds the peer realm's member in it (NOSUCHWORKSPACE when either is missing). */
async function lockRemoteMember(
  c: pg.PoolClient,
  localRealmId: string,
  peerRealmId: string,
  workspaceId: string,
  memberId: string,
): Promise<RemoteMember> {
  if (parseUserId(memberId)?.realmId !== peerRealmId)
    throw new DomainError("UNAUTHORIZED", `realm ${peerRealmId} may not speak for ${memberId}`);
  const w = await c.query<{ nextSeq: bigint }>(
    `SELECT "nextSeq" FROM workspaces WHERE id = $1 AND "realmId" = $2 AND "homeRealmId" IS NULL FOR NO KEY UPDATE`,
    [workspaceId, localRealmId],
  );
  const m = w.rows[0]
    ? await c.query<{ memberId: string; status: MemberStatus }>(
        `SELECT "memberId", status FROM workspace_members WHERE "workspaceId" = $1 AND lower("memberId") = lower($2) AND "userId" IS NULL`,
        [workspaceId, memberId],
      )
    : undefined;
  if (!w.rows[0] || !m?.rows[0])
    throw new DomainError(
      "NOSUCHWORKSPACE",
      `no workspace ${workspaceId} with member ${memberId} on realm ${localRealmId}`,
    );
  return { memberId: m.rows[0].memberId, status: m.rows[0].status, head: BigInt(w.rows[0].nextSeq) - 1n };
}

/** wsaccept: the remote member becomes ACTIVE with its cursor at the head. Returns the seq it starts after (again the same on a retry). */
export async function acceptRemote(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  workspaceId: string,
  memberId: string,
): Promise<bigint> {
  return tx(pool, async (c) => {
    const m = await lockRemoteMember(c, localRealmId, peerRealmId, workspaceId, memberId);
    if (m.status === "ACTIVE") {
      const cur = await c.query<{ ackedSeq: bigint }>(
        `SELECT "ackedSeq" FROM workspace_cursors WHERE "workspaceId" = $1 AND "memberId" = $2 AND computer = ''`,
        [workspaceId, m.memberId],
      );
      return cur.rows[0] ? BigInt(cur.rows[0].ackedSeq) : m.head;
    }
    if (m.status !== "INVITED")
      throw new DomainError(
        "UNAUTHORIZED",
        `${m.memberId} is not invited to workspace ${workspaceId} (${m.status.toLowerCase()})`,
      );
    await c.query(
      `UPDATE workspace_members SET status = 'ACTIVE', "joinedAt" = now(), "lastSeenAt" = now() WHERE "workspaceId" = $1 AND "memberId" = $2`,
      [workspaceId, m.memberId],
    );
    await c.query(
      `INSERT INTO workspace_cursors ("workspaceId", "memberId", computer, "ackedSeq", "updatedAt") VALUES ($1, $2, '', $3, now())
       ON CONFLICT ("workspaceId", "memberId", computer) DO UPDATE SET "ackedSeq" = EXCLUDED."ackedSeq", "updatedAt" = now()`,
      [workspaceId, m.memberId, m.head.toString()],
    );
    return m.head;
  });
}

/** wsack: the member's realm has every change up to seq for all of the member's computers. Frees what nobody else waits for. */
export async function ackRemote(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  workspaceId: string,
  memberId: string,
  seq: bigint,
): Promise<void> {
  await tx(pool, async (c) => {
    const m = await lockRemoteMember(c, localRealmId, peerRealmId, workspaceId, memberId);
    if (m.status !== "ACTIVE") return; // removed or left meanwhile: its cursor no longer pins
    const upTo = seq > m.head ? m.head : seq;
    await c.query(
      `UPDATE workspace_cursors SET "ackedSeq" = GREATEST("ackedSeq", $3), "updatedAt" = now() WHERE "workspaceId" = $1 AND "memberId" = $2 AND computer = ''`,
      [workspaceId, m.memberId, upTo.toString()],
    );
    await c.query(`UPDATE workspace_members SET "lastSeenAt" = now() WHERE "workspaceId" = $1 AND "memberId" = $2`, [
      workspaceId,
      m.memberId,
    ]);
    await freeAcked(c, workspaceId);
  });
}

/** wsleave: the remote member left (or declined) on its realm. */
export async function leaveRemote(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  workspaceId: string,
  memberId: string,
): Promise<void> {
  await tx(pool, async (c) => {
    const m = await lockRemoteMember(c, localRealmId, peerRealmId, workspaceId, memberId);
    if (m.status === "LEFT" || m.status === "REMOVED") return;
    await c.query(`UPDATE workspace_members SET status = 'LEFT' WHERE "workspaceId" = $1 AND "memberId" = $2`, [
      workspaceId,
      m.memberId,
    ]);
    await c.query(`DELETE FROM workspace_cursors WHERE "workspaceId" = $1 AND "memberId" = $2`, [
      workspaceId,
      m.memberId,
    ]);
    await dropOpenChanges(c, workspaceId, m.memberId);
    await freeAcked(c, workspaceId);
  });
}

/** Home: an invitation the member's realm refused for good (no such user there): the invitation is withdrawn. */
export async function inviteRefused(pool: pg.Pool, workspaceId: string, memberId: string): Promise<void> {
  // Kept (REMOVED), not deleted: the inviter sees the refusal in workspacemembers (invitation
  // "refused") and may invite again.
  await pool.query(
    `UPDATE workspace_members SET status = 'REMOVED' WHERE "workspaceId" = $1 AND "memberId" = $2 AND status = 'INVITED' AND "userId" IS NULL`,
    [workspaceId, memberId],
  );
}
