// A run of consecutive ws-change rows of one workspace stream, loaded for the pipelined send
// (realm-daemon/federation/outbox-pipeline.ts): one query for the workspace and its members on the
// target realm, one for the changes, one for their bytes, instead of four per change; and one
// statement to close the rows the target took.
import type pg from "pg";
import { WORKSPACE_LIMITS } from "../domain/workspaces.ts";
import type { OutboxRow } from "./outbox-store.ts";

const B = WORKSPACE_LIMITS.blockBytes;

export interface WholeChange {
  row: OutboxRow;
  /** The change's fields in wschanges (realm-daemon/federation/commands/wschanges.ts): workspace, seq, size, author, computer, origin. */
  fields: string[];
  data: Buffer;
}

export interface ChangeRun {
  /** The local realm that speaks (the workspace's realm here). */
  localRealmId: string;
  /** Rows to send with wschange, in order. */
  sends: WholeChange[];
  /** Rows with nothing left to send (nobody on the target takes changes, or the change is gone): closed as delivered. */
  nothing: OutboxRow[];
}

/**
 * Loads the ws-change rows (all of one workspace, in order) whose changes are at most `maxBytes`,
 * up to `maxRunBytes` in all;
 * stops before the first bigger one (the caller sends that one in steps; `taken` 0 when it is the first).
 */
export async function loadChangeRun(
  pool: pg.Pool,
  rows: OutboxRow[],
  maxBytes: number,
  maxRunBytes: number,
): Promise<{ run: ChangeRun; taken: number }> {
  const ws = rows[0]?.workspaceId ?? "";
  const target = rows[0]?.targetRealmId ?? "";
  const w = await pool.query<{ realmId: string; remoteId: string | null; active: boolean }>(
    `SELECT "realmId", "remoteId", EXISTS (SELECT 1 FROM workspace_members m WHERE m."workspaceId" = w.id
              AND m."userId" IS NULL AND m.status = 'ACTIVE' AND split_part(m."memberId", '::', 1) = $2) AS active
       FROM workspaces w WHERE id = $1`,
    [ws, target],
  );
  const info = w.rows[0];
  if (!info) return { run: { localRealmId: "", sends: [], nothing: rows }, taken: rows.length };
  if (!info.active) return { run: { localRealmId: info.realmId, sends: [], nothing: rows }, taken: rows.length };
  const ch = await pool.query<{
    id: string | bigint;
    seq: string | bigint;
    size: string | bigint;
    authorId: string;
    authorComputer: string;
    originId: string | null;
  }>(
    `SELECT id, seq, size, "authorId", "authorComputer", "originId" FROM workspace_changes
      WHERE "workspaceId" = $1 AND seq = ANY($2::bigint[])`,
    [ws, rows.map((r) => (r.seq ?? 0n).toString())],
  );
  // int8 columns come back as bigint or string depending on the pool's parser: keys are strings.
  const bySeq = new Map(ch.rows.map((c) => [String(c.seq), c]));
  const run: ChangeRun = { localRealmId: info.realmId, sends: [], nothing: [] };
  const wanted: Array<{ row: OutboxRow; c: (typeof ch.rows)[number] }> = [];
  let taken = 0;
  let bytes = 0;
  for (const row of rows) {
    const c = bySeq.get((row.seq ?? 0n).toString());
    if (c && Number(c.size) > maxBytes) break;
    // Bounded memory: a run holds at most about maxRunBytes of change data.
    if (c && taken > 0 && bytes + Number(c.size) > maxRunBytes) break;
    bytes += c ? Number(c.size) : 0;
    taken++;
    if (!c) run.nothing.push(row);
    else wanted.push({ row, c });
  }
  const blocks = await pool.query<{ changeId: string | bigint; block: number; data: Buffer }>(
    `SELECT "changeId", block, data FROM workspace_change_blocks WHERE "changeId" = ANY($1::bigint[]) ORDER BY "changeId", block`,
    [wanted.map((x) => String(x.c.id))],
  );
  const parts = new Map<string, Buffer[]>();
  for (const b of blocks.rows) {
    const list = parts.get(String(b.changeId)) ?? [];
    list[b.block] = b.data;
    parts.set(String(b.changeId), list);
  }
  const wireId = info.remoteId ?? ws;
  for (const { row, c } of wanted) {
    const size = Number(c.size);
    const list = parts.get(String(c.id)) ?? [];
    const n = Math.ceil(size / B);
    // Freed meanwhile (every member took it): nothing left to send, as the one-by-one path does.
    if (list.length !== n || Array.from(list).some((x) => !x)) {
      run.nothing.push(row);
      continue;
    }
    const data = Buffer.concat(list, size);
    // Published on the target realm: name its change there, so that realm settles its copy.
    const origin = c.originId?.startsWith(`${target}/`) ? c.originId.slice(target.length + 1) : "";
    run.sends.push({
      row,
      fields: [wireId, String(c.seq), String(c.size), c.authorId, c.authorComputer, origin],
      data,
    });
  }
  return { run, taken };
}

/** The target took these rows (or there was nothing left to send for them). */
export async function closeDelivered(pool: pg.Pool, rows: OutboxRow[], note: string | null = null): Promise<void> {
  if (!rows.length) return;
  await pool.query(
    `UPDATE federation_outbox SET "deliveredAt" = now(), "lastError" = $2 WHERE id = ANY($1::bigint[])`,
    [rows.map((r) => r.id.toString()), note],
  );
}

/** Counts one attempt of each row before it is sent. */
export async function countAttempts(pool: pg.Pool, rows: OutboxRow[]): Promise<void> {
  if (!rows.length) return;
  const r = await pool.query<{ id: string; attempts: number }>(
    `UPDATE federation_outbox SET attempts = attempts + 1 WHERE id = ANY($1::bigint[]) RETURNING id::text, attempts`,
    [rows.map((x) => x.id.toString())],
  );
  const by = new Map(r.rows.map((x) => [x.id, x.attempts]));
  for (const row of rows) row.attempts = by.get(row.id.toString()) ?? row.attempts + 1;
}
