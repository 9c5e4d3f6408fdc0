// The daemon instances sharing this database, for the console (administrators): state, last
// heartbeat, what each advertises per realm, connections and signed-in computers, version and
// start time. "stale" = no heartbeat for three of the instance's own intervals (at least 5 s):
// it is dead or stuck, and a live peer deletes its row (releasing its presences and outbox
// leases) once the peer's stale time passes — so a stale row is seen only briefly, or for as
// long as no peer of the same kind is running.
// An administrator can ask a live realm instance to drain (drainInstance): the instance reads the
// request with its next heartbeat, drains as on SIGTERM (clients moved to its peers) and exits 0.
import type pg from "pg";
import { z } from "zod";
import { db } from "../db/client.ts";
import { requestDrain } from "../domain/instances.ts";
import { canDrainInstances } from "../domain/permissions.ts";
import { actorLabel, recordAudit } from "./audit.ts";
import { ConsoleError, defineCommand } from "./command.ts";
import { id } from "./form.ts";

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
  /** When an operator asked it to drain (it does so at its next heartbeat), and who. */
  drainRequestedAt: Date | null;
  drainRequestedBy: string | null;
}

/** Every instance, realm daemons first, then by host and start time. */
export async function listInstances(pool: pg.Pool): Promise<InstanceView[]> {
  const r = await pool.query<
    Omit<InstanceView, "state" | "heartbeatAgeMs"> & { ageMs: number; fresh: boolean; draining: boolean }
  >(
    `SELECT d.id, d.kind, d.host, d.pid, d."startedAt", d."heartbeatAt", d."heartbeatMs", d.addresses,
            d."httpAddress", d.connections, d.version, d."listenErrors", d.draining, d."drainRequestedAt", d."drainRequestedBy",
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
    state: !fresh ? "stale" : draining || row.drainRequestedAt ? "draining" : "live",
  }));
}

const REFUSED = {
  missing: [404, "Not found."],
  "not-realm": [409, "Only realm-daemon instances can be drained from here."],
  stale: [409, "That instance is not heartbeating (dead or stuck): it cannot hear a drain request."],
  already: [409, "That instance is already draining."],
} as const;

/**
 * Asks a live realm-daemon instance to drain: within one heartbeat interval it stops accepting,
 * moves its clients to its peers (switchserver / shutdown), finishes its requests, removes its
 * row and exits 0 — exactly as on SIGTERM (docs/scaling.md). Under systemd (Restart=on-failure)
 * it then stays stopped until `systemctl start opengroove-realm@N`.
 */
export const drainInstance = defineCommand({
  name: "instances.drain",
  schema: z.object({ instanceId: id }),
  deniedStatus: 403,
  authorize: (ctx) => canDrainInstances(ctx.actor),
  async run(ctx, input) {
    const pool = ctx.pool ?? db().pool;
    const r = await requestDrain(pool, input.instanceId, actorLabel(ctx.actor));
    if (!r.ok) {
      const [status, message] = REFUSED[r.why];
      throw new ConsoleError(status, message);
    }
    const row = await ctx.prisma.daemonInstance.findUnique({ where: { id: input.instanceId } });
    await recordAudit(ctx.prisma, ctx, {
      action: "instance.drain",
      targetType: "daemon-instance",
      targetId: input.instanceId,
      after: row ? { host: row.host, pid: row.pid, drainRequestedAt: row.drainRequestedAt } : undefined,
    });
    return {
      message: `Instance ${row ? `${row.host} · pid ${row.pid}` : input.instanceId} will drain at its next heartbeat, then exit.`,
    };
  },
});
