// Daemon instances sharing one database: each writes a heartbeat row; an instance whose
// heartbeat is older than `staleMs` is dead, and the first survivor to see it deletes its row,
// which releases its presences at once (presences cascade), so nobody is shown online on it
// and sendimessage to its computers answers NOSUCHCOMPUTER.
import type pg from "pg";
import { notifyStatus } from "./subscription-events.ts";

export async function registerInstance(
  pool: pg.Pool,
  i: { id: string; kind: string; host: string; pid: number },
): Promise<void> {
  await pool.query(`INSERT INTO daemon_instances (id, kind, host, pid) VALUES ($1, $2, $3, $4)`, [
    i.id,
    i.kind,
    i.host,
    i.pid,
  ]);
}

/**
 * Refreshes this instance's heartbeat (re-inserting the row if a survivor reaped it during a
 * long pause) and deletes the instances seen dead; returns their ids.
 */
export async function heartbeatInstance(
  pool: pg.Pool,
  i: { id: string; kind: string; host: string; pid: number },
  staleMs: number,
): Promise<string[]> {
  await pool.query(
    `INSERT INTO daemon_instances (id, kind, host, pid) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET "heartbeatAt" = now()`,
    [i.id, i.kind, i.host, i.pid],
  );
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
  return dead.rows.map((r) => r.id);
}

/** A clean stop: the row and (by cascade) every presence this instance held. */
export async function removeInstance(pool: pg.Pool, id: string): Promise<void> {
  await pool.query(`DELETE FROM daemon_instances WHERE id = $1`, [id]);
}
