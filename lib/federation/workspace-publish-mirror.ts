// A member's realm's side of publishing in a workspace that lives on another realm. The change
// is written and sealed here as usual, charged to its author, and then waits (forwardedAt set,
// no seq: nobody here sees it) while the outbox (kind "ws-publish", keyed by this change's id)
// hands it to the home realm. The home realm orders it and forwards it back like any change.
// Once the home realm took it, or refused it for good, the staged copy here goes and the
// author's bytes are released; the author's computers get `workspacechange published <ws> <seq>`
// or `workspacechange refused <ws> <reason>`.
import type pg from "pg";
import { tx } from "../db/tx.ts";
import { dropChange } from "../domain/workspace-gc.ts";
import { CHANNELS } from "../db/notify.ts";
import type { OutboxRow } from "./outbox-store.ts";

export interface ForwardedChange {
  dbId: bigint;
  size: bigint;
  authorId: string;
  authorComputer: string;
}

/** The staged change a ws-publish row forwards (null: dropped meanwhile, nothing to send). */
export async function loadForwarded(pool: pg.Pool, row: OutboxRow): Promise<ForwardedChange | null> {
  const r = await pool.query<ForwardedChange>(
    `SELECT id AS "dbId", size, "authorId", "authorComputer" FROM workspace_changes WHERE id = $1 AND "workspaceId" = $2 AND "forwardedAt" IS NOT NULL AND seq IS NULL`,
    [(row.seq ?? 0n).toString(), row.workspaceId ?? ""],
  );
  const c = r.rows[0];
  return c ? { ...c, dbId: BigInt(c.dbId), size: BigInt(c.size) } : null;
}

export type ForwardOutcome = { seq: bigint } | { refused: string };

/**
 * The home realm took the change (as `seq`) or refused it: the staged copy goes, the author is
 * released and told (once: a second settle finds nothing). The caller holds the workspace lock.
 */
export async function settleChange(
  c: pg.PoolClient,
  workspaceId: string,
  changeId: bigint,
  outcome: ForwardOutcome,
  authorId: string | null = null,
): Promise<void> {
  const r = await c.query<{ authorUserId: string | null }>(
    `SELECT "authorUserId" FROM workspace_changes
      WHERE id = $1 AND "workspaceId" = $2 AND "forwardedAt" IS NOT NULL AND seq IS NULL AND ($3::text IS NULL OR lower("authorId") = lower($3)) FOR UPDATE`,
    [changeId.toString(), workspaceId, authorId],
  );
  const userId = r.rows[0]?.authorUserId;
  if (!userId) return;
  await dropChange(c, changeId);
  const ev =
    "seq" in outcome
      ? { kind: "published", workspaceId, userId, detail: outcome.seq.toString() }
      : { kind: "refused", workspaceId, userId, detail: outcome.refused };
  await c.query(`SELECT pg_notify($1, $2)`, [CHANNELS.workspace, JSON.stringify(ev)]);
}

/** The outcome of a ws-publish row (its reply or its refusal). */
export async function settleForwarded(pool: pg.Pool, row: OutboxRow, outcome: ForwardOutcome): Promise<void> {
  if (!row.workspaceId || row.seq === null) return;
  const workspaceId = row.workspaceId;
  const changeId = row.seq;
  await tx(pool, async (c) => {
    await c.query(`SELECT 1 FROM workspaces WHERE id = $1 FOR NO KEY UPDATE`, [workspaceId]);
    await settleChange(c, workspaceId, changeId, outcome);
  });
}
