// Realm ports a daemon instance could not bind (issue #13): the realm daemon keeps serving its
// other realms, retries the port, and reports the failure with its heartbeat so the console can
// show it next to the realm. Written by the realm daemon, read by the console.
import type pg from "pg";

export interface ListenError {
  port: number;
  /** Realm ids configured on that port. */
  realms: string[];
  error: string;
}

/** Replaces this instance's reported listen errors (an empty list clears them). */
export async function reportListenErrors(pool: pg.Pool, instanceId: string, errors: ListenError[]): Promise<void> {
  await pool.query(`UPDATE daemon_instances SET "listenErrors" = $2::jsonb WHERE id = $1`, [
    instanceId,
    JSON.stringify(errors),
  ]);
}

/**
 * The listen errors reported by live instances (heartbeat newer than `liveMs`), by realm id:
 * each with the port, the reason and the host of the instance that reported it.
 */
export async function realmListenErrors(
  pool: pg.Pool,
  liveMs: number,
): Promise<Map<string, Array<{ port: number; error: string; host: string }>>> {
  const r = await pool.query<{ host: string; listenErrors: ListenError[] }>(
    `SELECT host, "listenErrors" FROM daemon_instances
      WHERE kind = 'realm' AND "heartbeatAt" > now() - $1 * interval '1 millisecond' AND "listenErrors" <> '[]'::jsonb`,
    [liveMs],
  );
  const out = new Map<string, Array<{ port: number; error: string; host: string }>>();
  for (const row of r.rows)
    for (const e of row.listenErrors)
      for (const realm of e.realms)
        out.set(realm, [...(out.get(realm) ?? []), { port: e.port, error: e.error, host: row.host }]);
  return out;
}
