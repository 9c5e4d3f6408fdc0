// Workspaces across realms: what the workspace domain queues for federation. A workspace lives
// on its HOME realm (the creator's). A member of another realm is tracked there as one member
// with one cursor (computer ""), which that realm advances; that realm keeps a MIRROR row of the
// workspace (workspaces.homeRealmId = the home realm) with its local members, their computers'
// cursors and the changes forwarded for them. Events travel in federation_outbox (kind "ws-..."),
// delivered by the same outbox worker as messages (lease, retries with backoff), and every
// receiving step is idempotent (by workspace and seq for changes).
import type pg from "pg";
import { named } from "../db/named.ts";

export type WorkspaceEventKind =
  "ws-invite" | "ws-change" | "ws-remove" | "ws-accept" | "ws-ack" | "ws-leave" | "ws-publish";

/**
 * Mirror: a local member sealed a change; it waits here (forwardedAt, no seq) while the outbox
 * forwards it to the home realm (kind "ws-publish", seq = this change's id, its id there).
 */
export async function queueRemotePublish(
  c: pg.PoolClient,
  workspaceId: string,
  changeId: bigint,
  authorId: string,
  homeRealmId: string,
): Promise<void> {
  await c.query(named(`UPDATE workspace_changes SET "forwardedAt" = now() WHERE id = $1`, [changeId.toString()]));
  await queueWorkspaceEvent(c, "ws-publish", homeRealmId, workspaceId, authorId, changeId);
}

/** The realm part of a full user id (realm host:port::username). */
export function realmOf(userId: string): string {
  const i = userId.lastIndexOf("::");
  return i < 0 ? "" : userId.slice(0, i);
}

export async function queueWorkspaceEvent(
  c: pg.PoolClient,
  kind: WorkspaceEventKind,
  targetRealmId: string,
  workspaceId: string,
  memberId: string | null,
  seq: bigint | null = null,
): Promise<void> {
  await c.query(
    named(
      `INSERT INTO federation_outbox (kind, "targetRealmId", "workspaceId", "memberId", seq) VALUES ($1, $2, $3, $4, $5)`,
      [kind, targetRealmId, workspaceId, memberId, seq?.toString() ?? null],
    ),
  );
}

/** Home realm: a sealed change goes to every realm with an ACTIVE member of the workspace (one row per realm). */
export async function queueRemoteChange(c: pg.PoolClient, workspaceId: string, seq: bigint): Promise<void> {
  await c.query(
    named(
      `INSERT INTO federation_outbox (kind, "targetRealmId", "workspaceId", seq)
     SELECT DISTINCT 'ws-change', split_part("memberId", '::', 1), $1, $2::bigint FROM workspace_members WHERE "workspaceId" = $1 AND "userId" IS NULL AND status = 'ACTIVE'`,
      [workspaceId, seq.toString()],
    ),
  );
}

/**
 * Mirror: queues the member's ack to the home realm when every computer of the member here has
 * acknowledged further than what was last sent (the lowest cursor; the head when the member
 * has no computer). A computer counts as having the changes it published itself (it need not
 * ack them): its cursor reaches up to the next stored change by someone else. Changes freed here
 * past a cursor can only be that computer's own, since it pins every other one.
 * The caller holds the mirror's workspace lock.
 */
export async function queueMirrorAck(
  c: pg.PoolClient,
  workspaceId: string,
  memberId: string,
  homeRealmId: string,
): Promise<void> {
  const r = await c.query<{ low: bigint }>(
    named(
      `SELECT COALESCE((SELECT min(COALESCE(nxt.s - 1, w."nextSeq" - 1)) FROM workspace_cursors cur
                        CROSS JOIN LATERAL (SELECT min(ch.seq) AS s FROM workspace_changes ch
                                             WHERE ch."workspaceId" = cur."workspaceId" AND ch.seq > cur."ackedSeq"
                                               AND NOT (ch."authorId" = cur."memberId" AND ch."authorComputer" = cur.computer)) nxt
                        WHERE cur."workspaceId" = m."workspaceId" AND cur."memberId" = m."memberId"
                          AND EXISTS (SELECT 1 FROM computers k WHERE k."userId" = m."userId" AND k.name = cur.computer)),
                     w."nextSeq" - 1) AS low
       FROM workspace_members m JOIN workspaces w ON w.id = m."workspaceId"
      WHERE m."workspaceId" = $1 AND m."memberId" = $2 AND m.status = 'ACTIVE'`,
      [workspaceId, memberId],
    ),
  );
  if (!r.rows[0]) return;
  const low = BigInt(r.rows[0].low);
  const u = await c.query(
    named(
      `UPDATE workspace_members SET "remoteAckedSeq" = $3 WHERE "workspaceId" = $1 AND "memberId" = $2 AND COALESCE("remoteAckedSeq", -1) < $3`,
      [workspaceId, memberId, low.toString()],
    ),
  );
  if (u.rowCount) await queueWorkspaceEvent(c, "ws-ack", homeRealmId, workspaceId, memberId, low);
}

/** Mirror: queues acks for every ACTIVE member whose computers moved on (after a commit or a free). */
export async function queueMirrorAcks(c: pg.PoolClient, workspaceId: string, homeRealmId: string): Promise<void> {
  const r = await c.query<{ memberId: string }>(
    named(`SELECT "memberId" FROM workspace_members WHERE "workspaceId" = $1 AND status = 'ACTIVE'`, [workspaceId]),
  );
  for (const m of r.rows) await queueMirrorAck(c, workspaceId, m.memberId, homeRealmId);
}
