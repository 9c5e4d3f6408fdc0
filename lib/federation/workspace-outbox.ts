// Workspace events in the federation outbox (kind "ws-..."): what to send for a row, the
// change bytes to stream, and what a delivery or a permanent refusal does on this side.
import type pg from "pg";
import { WORKSPACE_LIMITS } from "../domain/workspaces.ts";
import { acceptRefused, applyAcceptedHead } from "./workspace-mirror.ts";
import { inviteRefused } from "./workspace-home.ts";
import { loadForwarded, settleForwarded } from "./workspace-publish-mirror.ts";
import type { OutboxRow } from "./outbox-store.ts";

export interface WorkspaceSend {
  /** The local realm that speaks (the workspace's realm here). */
  localRealmId: string;
  /** The workspace's id on the wire: the home realm's id (a mirror's remoteId). */
  wireId: string;
  command: "wsinvite" | "wsremove" | "wschangebegin" | "wsaccept" | "wsack" | "wsleave" | "wspublishbegin";
  args: string[];
  /** ws-change / ws-publish: the stored change to stream after the begin command, keyed by `seq` (a ws-publish: the change id here). */
  change?: {
    dbId: bigint;
    seq: bigint;
    size: bigint;
    data: "wschangedata" | "wspublishdata";
    commit: "wschangecommit" | "wspublishcommit";
  };
}

/** What to send for a workspace row; null when there is nothing left to send (the row is closed). */
export async function loadWorkspaceEvent(pool: pg.Pool, row: OutboxRow): Promise<WorkspaceSend | null> {
  const ws = row.workspaceId ?? "";
  const w = await pool.query<{ realmId: string; name: string; creatorId: string; remoteId: string | null }>(
    `SELECT "realmId", name, "creatorId", "remoteId" FROM workspaces WHERE id = $1`,
    [ws],
  );
  if (!w.rows[0]) return null;
  const localRealmId = w.rows[0].realmId;
  const wireId = w.rows[0].remoteId ?? ws;
  const member = row.memberId ?? "";
  switch (row.kind) {
    case "ws-invite": {
      const m = await pool.query<{ role: string }>(
        `SELECT role FROM workspace_members WHERE "workspaceId" = $1 AND "memberId" = $2 AND status = 'INVITED'`,
        [ws, member],
      );
      if (!m.rows[0]) return null;
      return {
        localRealmId,
        wireId,
        command: "wsinvite",
        args: [wireId, w.rows[0].name, w.rows[0].creatorId, member, m.rows[0].role.toLowerCase()],
      };
    }
    case "ws-remove":
      return { localRealmId, wireId, command: "wsremove", args: [wireId, member] };
    case "ws-accept":
      return { localRealmId, wireId, command: "wsaccept", args: [wireId, member] };
    case "ws-leave":
      return { localRealmId, wireId, command: "wsleave", args: [wireId, member] };
    case "ws-ack":
      return { localRealmId, wireId, command: "wsack", args: [wireId, member, (row.seq ?? 0n).toString()] };
    case "ws-change": {
      const seq = row.seq ?? 0n;
      // Only while someone on the target realm still takes changes (removal stops the flow at once).
      const still = await pool.query(
        `SELECT 1 FROM workspace_members WHERE "workspaceId" = $1 AND "userId" IS NULL AND status = 'ACTIVE' AND split_part("memberId", '::', 1) = $2 LIMIT 1`,
        [ws, row.targetRealmId],
      );
      if (!still.rowCount) return null;
      const ch = await pool.query<{
        id: bigint;
        size: bigint;
        authorId: string;
        authorComputer: string;
        originId: string | null;
      }>(
        `SELECT id, size, "authorId", "authorComputer", "originId" FROM workspace_changes WHERE "workspaceId" = $1 AND seq = $2`,
        [ws, seq.toString()],
      );
      const c = ch.rows[0];
      if (!c) return null;
      // Published on the target realm: name its change there, so that realm settles its copy.
      const origin = c.originId?.startsWith(`${row.targetRealmId}/`)
        ? [c.originId.slice(row.targetRealmId.length + 1)]
        : [];
      return {
        localRealmId,
        wireId,
        command: "wschangebegin",
        args: [wireId, seq.toString(), c.size.toString(), c.authorId, c.authorComputer, ...origin],
        change: { dbId: BigInt(c.id), seq, size: BigInt(c.size), data: "wschangedata", commit: "wschangecommit" },
      };
    }
    case "ws-publish": {
      const f = await loadForwarded(pool, row);
      if (!f) return null;
      return {
        localRealmId,
        wireId,
        command: "wspublishbegin",
        args: [wireId, f.dbId.toString(), f.size.toString(), f.authorId, f.authorComputer],
        change: { dbId: f.dbId, seq: f.dbId, size: f.size, data: "wspublishdata", commit: "wspublishcommit" },
      };
    }
    default:
      return null;
  }
}

/** Bytes [offset, offset+length) of a stored change (null when it was freed meanwhile). */
export async function readChangeBytes(
  pool: pg.Pool,
  changeDbId: bigint,
  offset: bigint,
  length: number,
): Promise<Buffer | null> {
  const B = BigInt(WORKSPACE_LIMITS.blockBytes);
  const out = Buffer.alloc(length);
  if (!length) return out;
  const first = offset / B;
  const last = (offset + BigInt(length) - 1n) / B;
  const r = await pool.query<{ block: number; data: Buffer }>(
    `SELECT block, data FROM workspace_change_blocks WHERE "changeId" = $1 AND block BETWEEN $2 AND $3`,
    [changeDbId.toString(), first.toString(), last.toString()],
  );
  if (r.rows.length !== Number(last - first) + 1) return null;
  for (const row of r.rows) {
    const start = BigInt(row.block) * B - offset;
    if (start >= 0n) row.data.copy(out, Number(start));
    else row.data.copy(out, 0, Number(-start));
  }
  return out;
}

/** The target took the event; `reply` is its OK lines (wsaccept answers head=, wspublishbegin/commit seq=). */
export async function completeWorkspaceEvent(
  pool: pg.Pool,
  row: OutboxRow,
  reply: string[],
  note: string | null = null,
): Promise<void> {
  if (row.kind === "ws-accept" && row.workspaceId && row.memberId) {
    const head = reply.find((l) => l.startsWith("head="));
    if (head && /^\d{1,18}$/.test(head.slice(5)))
      await applyAcceptedHead(pool, row.workspaceId, row.memberId, BigInt(head.slice(5)));
  }
  if (row.kind === "ws-publish") {
    const seq = reply.find((l) => l.startsWith("seq="));
    if (seq && /^\d{1,18}$/.test(seq.slice(4))) await settleForwarded(pool, row, { seq: BigInt(seq.slice(4)) });
  }
  await pool.query(`UPDATE federation_outbox SET "deliveredAt" = now(), "lastError" = $2 WHERE id = $1`, [
    row.id,
    note,
  ]);
}

/** The target refused the event for good: recorded; a refused invitation is withdrawn, a refused accept makes the member REMOVED here. */
export async function failWorkspaceEvent(pool: pg.Pool, row: OutboxRow, status: string, reason: string): Promise<void> {
  await pool.query(`UPDATE federation_outbox SET "failedAt" = now(), "lastError" = $2 WHERE id = $1`, [
    row.id,
    `${status} ${reason}`.slice(0, 1000),
  ]);
  if (row.kind === "ws-publish") await settleForwarded(pool, row, { refused: `${status} ${reason}`.slice(0, 500) });
  if (!row.workspaceId || !row.memberId) return;
  if (row.kind === "ws-invite") await inviteRefused(pool, row.workspaceId, row.memberId);
  if (row.kind === "ws-accept") await acceptRefused(pool, row.workspaceId, row.memberId);
}
