// Prometheus metrics of the realm daemon (/metrics on its HTTP port), on prom-client: one
// registry per daemon (tests run several in one process) with prom-client's default process
// metrics (CPU, memory, event-loop lag, GC, handles) next to the daemon's own.
import client from "prom-client";
import type { RealmDaemon } from "./daemon.ts";
import { backupStatus } from "../lib/backup/runs.ts";

type Labels = Record<string, string>;

/** Call sites count as `inc(n, labels)`; prom-client takes `inc(labels, n)`. */
function counter(registry: client.Registry, name: string, help: string, labelNames: string[] = []) {
  const c = new client.Counter({ name, help, labelNames, registers: [registry] });
  return { inc: (n = 1, labels?: Labels) => (labels ? c.inc(labels, n) : c.inc(n)) };
}

/**
 * Figures about the whole database (bytes stored, queue depth, backups) are the same whichever
 * instance reads them: only one instance reports them (the oldest live one), so a sum over the
 * instances does not overcount. Everything else is this instance's own, labelled `instance`.
 */
export async function reportsClusterFigures(d: RealmDaemon): Promise<boolean> {
  const r = await d.db.pool.query<{ id: string }>(
    `SELECT id FROM daemon_instances WHERE kind = 'realm' AND NOT draining
        AND "heartbeatAt" > now() - $1 * interval '1 millisecond'
      ORDER BY "startedAt", id LIMIT 1`,
    [d.config.limits.presenceStaleMs],
  );
  // No live row (the database is down, or this one was just reaped): report, rather than nobody.
  return !r.rows[0] || r.rows[0].id === d.instanceId;
}

export function createRealmMetrics(d: RealmDaemon) {
  const registry = new client.Registry();
  registry.setDefaultLabels({ instance: d.instanceId });
  client.collectDefaultMetrics({ register: registry });
  const commandSeconds = new client.Histogram({
    name: "opengroove_command_seconds",
    help: "Time to handle a command",
    labelNames: ["command"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new client.Gauge({
    name: "opengroove_connections",
    help: "Open client connections, by realm",
    labelNames: ["realm"],
    registers: [registry],
    collect() {
      this.reset();
      const by = new Map<string, number>();
      for (const c of d.connections) by.set(c.realm.slug, (by.get(c.realm.slug) ?? 0) + 1);
      for (const [realm, n] of by) this.set({ realm }, n);
    },
  });
  registerStorageMetrics(d, registry);
  registerBackupMetrics(d, registry);
  return {
    registry,
    connectionsOpened: counter(
      registry,
      "opengroove_connections_opened_total",
      "Client connections accepted, by realm",
      ["realm"],
    ),
    packets: counter(registry, "opengroove_packets_total", "Requests handled, by command and status", [
      "command",
      "status",
    ]),
    errors: counter(registry, "opengroove_errors_total", "Protocol and internal errors, by place", ["command"]),
    bytesIn: counter(registry, "opengroove_bytes_received_total", "Packet payload bytes received"),
    bytesOut: counter(registry, "opengroove_bytes_sent_total", "Packet payload bytes sent"),
    commandSeconds: {
      observe: (seconds: number, labels?: Labels) =>
        labels ? commandSeconds.observe(labels, seconds) : commandSeconds.observe(seconds),
    },
  };
}

export type RealmMetrics = ReturnType<typeof createRealmMetrics>;

/**
 * Database-wide figures (bytes stored and messages waiting, per realm). Scrapes never query for
 * them: they read the figures the daemon refreshes every `metricsRefreshMs` (refreshStorage), so
 * a scraper polling fast or many scrapers cost nothing more.
 */
function registerStorageMetrics(d: RealmDaemon, registry: client.Registry): void {
  new client.Gauge({
    name: "opengroove_bytes_stored",
    help: "Bytes charged to users, by realm (refreshed every metricsRefreshMs)",
    labelNames: ["realm"],
    registers: [registry],
    collect() {
      this.reset();
      for (const x of d.storageFigures) this.set({ realm: x.slug }, x.bytes);
    },
  });
  new client.Gauge({
    name: "opengroove_queue_depth",
    help: "Message deliveries waiting for a recipient computer, by realm (refreshed every metricsRefreshMs)",
    labelNames: ["realm"],
    registers: [registry],
    collect() {
      this.reset();
      for (const x of d.storageFigures) this.set({ realm: x.slug }, x.waiting);
    },
  });
}

/** The last backup run (backup_runs, written by the launcher's schedule or `npm run backup`). */
function registerBackupMetrics(d: RealmDaemon, registry: client.Registry): void {
  /** null: another instance reports the cluster figures. */
  let pending: Promise<Awaited<ReturnType<typeof backupStatus>> | null> | null = null;
  const status = () => {
    pending ??= reportsClusterFigures(d)
      .then((mine) => (mine ? backupStatus(d.db.pool) : null))
      .finally(() => setTimeout(() => (pending = null), 0));
    return pending;
  };
  new client.Gauge({
    name: "opengroove_backup_last_success_timestamp_seconds",
    help: "When the last successful backup finished (0: never)",
    registers: [registry],
    async collect() {
      const s = await status().catch(() => undefined);
      if (s === null) return this.reset(); // another instance reports it
      this.set(s?.lastSuccessAt ? Math.floor(s.lastSuccessAt.getTime() / 1000) : 0);
    },
  });
  // Absent (no sample) until the first run: "never ran" is not "failed".
  new client.Gauge({
    name: "opengroove_backup_last_run_ok",
    help: "1 if the last backup run succeeded, 0 if it failed (absent: none yet)",
    registers: [registry],
    async collect() {
      const s = await status().catch(() => null);
      if (s?.last) this.set(s.last.ok ? 1 : 0);
      else this.remove();
    },
  });
  new client.Gauge({
    name: "opengroove_backup_last_bytes",
    help: "Size of the last backup file in bytes",
    registers: [registry],
    async collect() {
      const s = await status().catch(() => null);
      if (s?.last) this.set(Number(s.last.bytes));
      else this.remove();
    },
  });
}
