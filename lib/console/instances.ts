// The daemon instances sharing this database, for the console (administrators): state, last
// heartbeat, what each advertises per realm, connections and signed-in computers, version and
// start time. "stale" = no heartbeat for three of the instance's own intervals (at least 5 s):
// it is dead or stuck, and a live peer deletes its row (releasing its presences and outbox
// leases) once the peer's stale time passes — so a stale row is seen only briefly, or for as
// long as no peer of the same kind is running.
import type pg from "pg";

export type InstanceState = "live" | "draining" | "stale";

export interface InstanceView {
  id: string;
  kind: string;
  host: string;
  pid: number;
  state: InstanceState;
  startedAt: Date;
  heartbeatAt: Date;
  /** Milliseconds since the last heartbeat (by the database's clock). */
  heartbeatAgeMs: number;
  heartbeatMs: number | null;
  /** Realm id → "host:port" where clients reach this instance directly. */
  addresses: Record<string, string>;
  httpAddress: string | null;
  connections: number;
  /** Presence rows: computers signed in through this instance. */
  computersOnline: number;
  version: string | null;
  /** Realm ports the instance could not bind. */
  listenErrors: { port: number; error: string }[];
}

/** Every instance, realm daemons first, then by host and start time. */
export async function listInstances(pool: pg.Pool): Promise<InstanceView[]> {
  const r = await pool.query<
    Omit<InstanceView, "state" | "heartbeatAgeMs"> & { ageMs: number; fresh: boolean; draining: boolean }
  >(
    `SELECT d.id, d.kind, d.host, d.pid, d."startedAt", d."heartbeatAt", d."heartbeatMs", d.addresses,
            d."httpAddress", d.connections, d.version, d."listenErrors", d.draining,
            (extract(epoch FROM now() - d."heartbeatAt") * 1000)::float8 AS "ageMs",
            d."heartbeatAt" > now() - greatest(3 * coalesce(d."heartbeatMs", 10000), 5000) * interval '1 millisecond' AS fresh,
            (SELECT count(*) FROM presences p WHERE p."instanceId" = d.id)::int AS "computersOnline"
       FROM daemon_instances d
      ORDER BY d.kind = 'realm' DESC, d.kind, d.host, d."startedAt", d.id`,
  );
  return r.rows.map(({ ageMs, fresh, draining, ...row }) => ({
    ...row,
    listenErrors: Array.isArray(row.listenErrors) ? row.listenErrors : [],
    addresses: row.addresses ?? {},
    heartbeatAgeMs: Math.max(0, Math.round(ageMs)),
    state: !fresh ? "stale" : draining ? "draining" : "live",
  }));
}
