// Daemon instances sharing one database: each writes a heartbeat row; an instance whose
// heartbeat is older than `staleMs` is dead, and the first survivor to see it deletes its row,
// which releases its presences at once (presences cascade), so nobody is shown online on it
// and sendimessage to its computers answers NOSUCHCOMPUTER. The row also carries what the
// instance advertises (per realm, the address where clients reach it directly), whether it is
// draining and how many connections it holds: a draining instance sends its clients to a live
// peer (`switchserver`), and the console lists the instances.
import type pg from "pg";
import { notifyStatus } from "./subscription-events.ts";

export interface InstanceRow {
  id: string;
  kind: string;
  host: string;
  pid: number;
  /** Realm id → "host:port" where clients reach this instance directly. */
  addresses?: Record<string, string>;
  httpAddress?: string;
  connections?: number;
  version?: string;
  heartbeatMs?: number;
}

// RETURNING (xmax = 0): true when the row was inserted, i.e. it was missing (see heartbeatInstance);
// and whether an operator asked this instance to drain (the console's Instances page).
const UPSERT = `INSERT INTO daemon_instances (id, kind, host, pid, addresses, "httpAddress", connections, version, "heartbeatMs")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
  ON CONFLICT (id) DO UPDATE SET "heartbeatAt" = now(), addresses = EXCLUDED.addresses,
    "httpAddress" = EXCLUDED."httpAddress", connections = EXCLUDED.connections
  RETURNING (xmax = 0) AS inserted, "drainRequestedAt" IS NOT NULL AS "drainRequested"`;

function params(i: InstanceRow): unknown[] {
  return [
    i.id,
    i.kind,
    i.host,
    i.pid,
    JSON.stringify(i.addresses ?? {}),
    i.httpAddress ?? null,
    i.connections ?? 0,
    i.version ?? null,
    i.heartbeatMs ?? null,
  ];
}

/** Inserts or refreshes this instance's row; true when it was missing (inserted). */
export async function registerInstance(pool: Queryable, i: InstanceRow): Promise<boolean> {
  return (await upsert(pool, i)).inserted;
}

async function upsert(pool: Queryable, i: InstanceRow): Promise<{ inserted: boolean; drainRequested: boolean }> {
  const r = await pool.query<{ inserted: boolean; drainRequested: boolean }>(UPSERT, params(i));
  return r.rows[0] ?? { inserted: false, drainRequested: false };
}

/** A pool or one dedicated client (the heartbeat's own connection, so a saturated pool cannot delay it). */
export type Queryable = pg.Pool | pg.ClientBase;

/**
 * Puts back the presence rows of this instance's signed-in computers after its row was reaped
 * (a peer saw its heartbeat late and deleted the row, whose presences went by cascade).
 */
export async function restorePresences(
  pool: pg.Pool,
  instanceId: string,
  sessions: { connectionId: string; realmId: string; userId: string; computer: string }[],
): Promise<number> {
  if (!sessions.length) return 0;
  const r = await pool.query(
    `INSERT INTO presences ("connectionId", "instanceId", "realmId", "userId", computer)
     SELECT s."connectionId", $1, s."realmId", s."userId", s.computer
       FROM jsonb_to_recordset($2::jsonb) AS s("connectionId" text, "realmId" text, "userId" text, computer text)
       JOIN users u ON u.id = s."userId"
     ON CONFLICT ("connectionId") DO NOTHING`,
    [instanceId, JSON.stringify(sessions)],
  );
  return r.rowCount ?? 0;
}

/**
 * Refreshes this instance's heartbeat and advertised state (re-inserting the row if a survivor
 * reaped it during a long pause: `reinserted`) and deletes the instances seen dead (`dead`).
 */
export async function heartbeatInstance(
  pool: Queryable,
  i: InstanceRow,
  staleMs: number,
): Promise<{ dead: string[]; reinserted: boolean; drainRequested: boolean }> {
  const { inserted: reinserted, drainRequested } = await upsert(pool, i);
  // The dead instances' computers went offline: their presences go first, so that subscribers
  // to their status hear of it (deleting the instance row would drop them silently by cascade).
  const gone = await pool.query<{ userId: string; computer: string }>(
    `DELETE FROM presences p USING daemon_instances d
      WHERE p."instanceId" = d.id AND d."heartbeatAt" < now() - $1 * interval '1 millisecond' AND d.id <> $2
      RETURNING p."userId", p.computer`,
    [staleMs, i.id],
  );
  for (const p of gone.rows) await notifyStatus(pool, p.userId, p.computer);
  const dead = await pool.query<{ id: string }>(
    `DELETE FROM daemon_instances WHERE "heartbeatAt" < now() - $1 * interval '1 millisecond' AND id <> $2 RETURNING id`,
    [staleMs, i.id],
  );
  return { dead: dead.rows.map((r) => r.id), reinserted, drainRequested };
}

/**
 * An operator asks a live realm-daemon instance to drain (console). Conditional: only a realm
 * instance with a fresh heartbeat (within `freshMs`), not draining and not asked already.
 * The instance reads it with its next heartbeat. Null when nothing was changed, with why.
 */
export async function requestDrain(
  pool: Queryable,
  id: string,
  by: string,
): Promise<{ ok: true } | { ok: false; why: "missing" | "not-realm" | "stale" | "already" }> {
  const r = await pool.query<{ id: string }>(
    `UPDATE daemon_instances SET "drainRequestedAt" = now(), "drainRequestedBy" = $2
      WHERE id = $1 AND kind = 'realm' AND NOT draining AND "drainRequestedAt" IS NULL
        AND "heartbeatAt" > now() - greatest(3 * coalesce("heartbeatMs", 10000), 5000) * interval '1 millisecond'
      RETURNING id`,
    [id, by],
  );
  if (r.rowCount) return { ok: true };
  const row = await pool.query<{ kind: string; fresh: boolean; busy: boolean }>(
    `SELECT kind, "heartbeatAt" > now() - greatest(3 * coalesce("heartbeatMs", 10000), 5000) * interval '1 millisecond' AS fresh,
            draining OR "drainRequestedAt" IS NOT NULL AS busy
       FROM daemon_instances WHERE id = $1`,
    [id],
  );
  const x = row.rows[0];
  if (!x) return { ok: false, why: "missing" };
  if (x.kind !== "realm") return { ok: false, why: "not-realm" };
  if (x.busy) return { ok: false, why: "already" };
  return { ok: false, why: "stale" };
}

/** A draining instance is no switchserver target for its peers, and shows as draining in the console. */
export async function markDraining(pool: pg.Pool, id: string): Promise<void> {
  await pool.query(`UPDATE daemon_instances SET draining = true WHERE id = $1`, [id]);
}

/**
 * Where clients of `realmIds` can move: per realm, the advertised addresses of the other live
 * (fresh heartbeat), non-draining realm instances that serve it, least loaded first.
 */
export async function switchTargets(
  pool: pg.Pool,
  selfId: string,
  realmIds: string[],
  staleMs: number,
): Promise<Map<string, string[]>> {
  const r = await pool.query<{ realm: string; address: string }>(
    `SELECT a.key AS realm, a.value AS address
       FROM daemon_instances d, jsonb_each_text(d.addresses) a
      WHERE d.id <> $1 AND d.kind = 'realm' AND NOT d.draining
        AND d."heartbeatAt" > now() - $2 * interval '1 millisecond' AND a.key = ANY($3)
      ORDER BY d.connections, d.id`,
    [selfId, staleMs, realmIds],
  );
  const out = new Map<string, string[]>();
  for (const x of r.rows) out.set(x.realm, [...(out.get(x.realm) ?? []), x.address]);
  return out;
}

/** A clean stop: the row and (by cascade) every presence this instance held. */
export async function removeInstance(pool: pg.Pool, id: string): Promise<void> {
  await pool.query(`DELETE FROM daemon_instances WHERE id = $1`, [id]);
}
