// Freeing workspace changes: a sealed change is deleted (and its bytes released from its
// author's quota) once every OTHER computer of every ACTIVE member has acknowledged it. Also
// the periodic sweep: suspending members inactive past the workspace's limit (so their cursors
// stop pinning), dropping abandoned uploads, and catching changes that became free without an
// ack (a computer deleted, a member removed on another instance).
import type pg from "pg";
import { releaseBytes, releasePeerBytes } from "./quota.ts";
import { tx } from "../db/tx.ts";
import { realmOf } from "./workspace-federation.ts";
import { CHANNELS } from "../db/notify.ts";
import { named } from "../db/named.ts";

export interface Freed {
  changes: number;
  bytes: bigint;
}

/**
 * Releases bytes per author, in a stable order (so two transactions never lock users in opposite
 * orders). A change without a local author is a mirror's copy of another realm's change: its
 * bytes come off that realm's allowance here (federation_peers.bytesHeld).
 */
async function releaseByAuthor(
  c: pg.PoolClient,
  rows: Array<{ authorUserId: string | null; authorId: string; size: bigint; workspaceId: string }>,
): Promise<bigint> {
  const per = new Map<string, bigint>();
  const remote = new Map<string, bigint>();
  const homes = new Map<string, string | null>();
  let total = 0n;
  for (const r of rows) {
    const size = BigInt(r.size);
    total += size;
    if (r.authorUserId) per.set(r.authorUserId, (per.get(r.authorUserId) ?? 0n) + size);
    else {
      // On a mirror the home realm's allowance; on the home realm, the allowance of the author's realm (published there).
      if (!homes.has(r.workspaceId)) {
        const w = await c.query<{ homeRealmId: string | null }>(
          named(`SELECT "homeRealmId" FROM workspaces WHERE id = $1`, [r.workspaceId]),
        );
        homes.set(r.workspaceId, w.rows[0]?.homeRealmId ?? null);
      }
      const peer = homes.get(r.workspaceId) ?? realmOf(r.authorId);
      if (peer) remote.set(peer, (remote.get(peer) ?? 0n) + size);
    }
  }
  for (const userId of [...per.keys()].sort()) await releaseBytes(c, userId, per.get(userId)!, "workspace");
  for (const [peer, bytes] of remote) await releasePeerBytes(c, peer, bytes);
  return total;
}

/**
 * Deletes every sealed change of the workspace that no pinning cursor still waits for, and
 * releases its bytes. The caller holds the workspace lock, which serialises this with acks,
 * seals and membership changes (two last acks cannot both miss each other). DELETE ...
 * RETURNING hands each row to one transaction only, so bytes are released exactly once.
 *
 * A cursor pins when its member is ACTIVE and, for a local member, its computer still exists
 * (remote members' cursors, computer "", are kept by federation). The authoring computer does
 * not pin its own change: it has the data already. `onlySeq` limits the check to one change
 * (a seal can only make the change it seals free).
 */
export async function freeAcked(c: pg.PoolClient, workspaceId: string, onlySeq?: bigint): Promise<Freed> {
  const r = await c.query<{ authorUserId: string | null; authorId: string; size: bigint; workspaceId: string }>(
    named(
      `WITH pins AS (
       SELECT cur."memberId", cur.computer, cur."ackedSeq"
         FROM workspace_cursors cur
         JOIN workspace_members m ON m."workspaceId" = cur."workspaceId" AND m."memberId" = cur."memberId" AND m.status = 'ACTIVE'
        WHERE cur."workspaceId" = $1
          AND (m."userId" IS NULL OR EXISTS (SELECT 1 FROM computers k WHERE k."userId" = m."userId" AND k.name = cur.computer))),
     -- At most one pin (the author's own computer) may be behind a freeable change, so no change
     -- past the second-lowest cursor qualifies: this bound keeps the scan to the changes that
     -- could go, however many are held for a slow member.
     bound AS (SELECT "ackedSeq" AS b FROM pins ORDER BY "ackedSeq" OFFSET 1 LIMIT 1)
     DELETE FROM workspace_changes ch
      WHERE ch."workspaceId" = $1 AND ch.seq IS NOT NULL
        AND (NOT EXISTS (SELECT 1 FROM bound) OR ch.seq <= (SELECT b FROM bound)) AND ($2::bigint IS NULL OR ch.seq = $2)
        AND NOT EXISTS (SELECT 1 FROM pins p WHERE p."ackedSeq" < ch.seq AND NOT (p."memberId" = ch."authorId" AND p.computer = ch."authorComputer"))
     RETURNING ch."authorUserId", ch."authorId", ch.size, ch."workspaceId"`,
      [workspaceId, onlySeq?.toString() ?? null],
    ),
  );
  return { changes: r.rows.length, bytes: await releaseByAuthor(c, r.rows) };
}

/** Drops a member's unsealed uploads in a workspace (on leave, removal, suspension). Returns bytes released. */
export async function dropOpenChanges(c: pg.PoolClient, workspaceId: string, memberId: string): Promise<bigint> {
  const r = await c.query<{ authorUserId: string | null; authorId: string; size: bigint; workspaceId: string }>(
    named(
      `DELETE FROM workspace_changes WHERE "workspaceId" = $1 AND "authorId" = $2 AND seq IS NULL RETURNING "authorUserId", "authorId", size, "workspaceId"`,
      [workspaceId, memberId],
    ),
  );
  return releaseByAuthor(c, r.rows);
}

/** Drops one unsealed change (abort, over quota, expiry). The caller holds its row lock. */
export async function dropChange(c: pg.PoolClient, changeId: bigint): Promise<bigint> {
  const r = await c.query<{ authorUserId: string | null; authorId: string; size: bigint; workspaceId: string }>(
    named(
      `DELETE FROM workspace_changes WHERE id = $1 AND seq IS NULL RETURNING "authorUserId", "authorId", size, "workspaceId"`,
      [changeId],
    ),
  );
  return releaseByAuthor(c, r.rows);
}

export interface SweepOptions {
  /** When > 0, the inactivity limit in ms for every workspace (tests, operations); else the workspace's or realm's days. */
  inactivityMs: number;
  /** Unsealed uploads older than this are dropped. */
  uploadExpiryMs: number;
  /** Most workspaces handled per step, to keep one sweep bounded. */
  batch?: number;
}

export interface SweepResult {
  suspended: Array<{ workspaceId: string; memberId: string }>;
  expiredUploads: number;
  freed: Freed;
}

const INACTIVE = `COALESCE(m."lastSeenAt", m."joinedAt", m."invitedAt") < now() - (CASE WHEN $2::bigint > 0 THEN $2::bigint * interval '1 millisecond' ELSE COALESCE(w."inactivityDays", r."workspaceInactivityDays") * interval '1 day' END)`;

export async function sweepWorkspaces(pool: pg.Pool, opts: SweepOptions): Promise<SweepResult> {
  const batch = opts.batch ?? 500;
  const out: SweepResult = { suspended: [], expiredUploads: 0, freed: { changes: 0, bytes: 0n } };
  const add = (f: Freed) => {
    out.freed.changes += f.changes;
    out.freed.bytes += f.bytes;
  };

  // 1. Inactive members, per workspace under its lock (SKIP LOCKED: a busy workspace waits for the next sweep).
  const cand = await pool.query<{ workspaceId: string }>(
    `SELECT DISTINCT m."workspaceId" FROM workspace_members m JOIN workspaces w ON w.id = m."workspaceId" JOIN realms r ON r.id = w."realmId"
      WHERE m.status = 'ACTIVE' AND ${INACTIVE} LIMIT $1`,
    [batch, opts.inactivityMs],
  );
  for (const { workspaceId } of cand.rows) {
    await tx(pool, async (c) => {
      const w = await c.query(
        named(`SELECT 1 FROM workspaces WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED`, [workspaceId]),
      );
      if (!w.rowCount) return;
      const s = await c.query<{ memberId: string; userId: string | null; name: string }>(
        `UPDATE workspace_members m SET status = 'SUSPENDED', "suspendedAt" = now()
           FROM workspaces w JOIN realms r ON r.id = w."realmId"
          WHERE w.id = m."workspaceId" AND m."workspaceId" = $1 AND m.status = 'ACTIVE' AND ${INACTIVE}
          RETURNING m."memberId", m."userId", w.name`,
        [workspaceId, opts.inactivityMs],
      );
      let dropped = 0n;
      for (const m of s.rows) {
        await c.query(
          named(`DELETE FROM workspace_cursors WHERE "workspaceId" = $1 AND "memberId" = $2`, [
            workspaceId,
            m.memberId,
          ]),
        );
        dropped += await dropOpenChanges(c, workspaceId, m.memberId);
        out.suspended.push({ workspaceId, memberId: m.memberId });
        if (m.userId)
          await c.query(
            named(`SELECT pg_notify($1, $2)`, [
              CHANNELS.workspace,
              JSON.stringify({ kind: "suspended", workspaceId, userId: m.userId, detail: m.name }),
            ]),
          );
      }
      const f = await freeAcked(c, workspaceId);
      add({ changes: f.changes, bytes: f.bytes + dropped });
    });
  }

  // 2. Abandoned uploads.
  const stale = await pool.query<{ id: bigint; workspaceId: string }>(
    named(
      `SELECT id, "workspaceId" FROM workspace_changes WHERE seq IS NULL AND "forwardedAt" IS NULL AND "createdAt" < now() - $1::bigint * interval '1 millisecond' ORDER BY "createdAt" LIMIT $2`,
      [opts.uploadExpiryMs, batch],
    ),
  );
  for (const ch of stale.rows) {
    await tx(pool, async (c) => {
      const w = await c.query(
        named(`SELECT 1 FROM workspaces WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED`, [ch.workspaceId]),
      );
      const l = w.rowCount
        ? await c.query(
            named(`SELECT 1 FROM workspace_changes WHERE id = $1 AND seq IS NULL FOR UPDATE SKIP LOCKED`, [ch.id]),
          )
        : undefined;
      if (!l?.rowCount) return;
      add({ changes: 0, bytes: await dropChange(c, ch.id) });
      out.expiredUploads++;
    });
  }

  // 3. Changes that nobody will ack any more (deleted computers, instances that crashed mid-way).
  const held = await pool.query<{ workspaceId: string }>(
    named(
      `SELECT DISTINCT "workspaceId" FROM workspace_changes WHERE seq IS NOT NULL AND "sealedAt" < now() - interval '30 seconds' LIMIT $1`,
      [batch],
    ),
  );
  for (const { workspaceId } of held.rows) {
    await tx(pool, async (c) => {
      const w = await c.query(
        named(`SELECT 1 FROM workspaces WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED`, [workspaceId]),
      );
      if (w.rowCount) add(await freeAcked(c, workspaceId));
    });
  }
  return out;
}
