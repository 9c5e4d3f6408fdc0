// Prometheus metrics of the realm daemon (/metrics on its HTTP port).
import { Counter, Gauge, Histogram, Registry } from "../lib/runtime/metrics.ts";
import type { RealmDaemon } from "./daemon.ts";
import { backupMetrics } from "../lib/backup/runs.ts";

export function createRealmMetrics(d: RealmDaemon) {
  const registry = new Registry();
  return {
    registry,
    connectionsOpened: registry.register(
      new Counter("opengroove_connections_opened_total", "Client connections accepted, by realm"),
    ),
    packets: registry.register(new Counter("opengroove_packets_total", "Requests handled, by command and status")),
    errors: registry.register(new Counter("opengroove_errors_total", "Protocol and internal errors, by place")),
    bytesIn: registry.register(new Counter("opengroove_bytes_received_total", "Packet payload bytes received")),
    bytesOut: registry.register(new Counter("opengroove_bytes_sent_total", "Packet payload bytes sent")),
    commandSeconds: registry.register(new Histogram("opengroove_command_seconds", "Time to handle a command")),
    connections: registry.register(
      new Gauge("opengroove_connections", "Open client connections, by realm", () => {
        const by = new Map<string, number>();
        for (const c of d.connections) by.set(c.realm.slug, (by.get(c.realm.slug) ?? 0) + 1);
        return [...by].map(([realm, n]) => [{ realm }, n] as [Record<string, string>, number]);
      }),
    ),
  };
}

export type RealmMetrics = ReturnType<typeof createRealmMetrics>;

/** Database-wide figures read at scrape time: bytes stored and messages waiting, per realm. */
export async function storageMetrics(d: RealmDaemon): Promise<string> {
  const r = await d.db.pool.query<{ slug: string; bytes: string; waiting: string }>(
    `SELECT r.slug, COALESCE((SELECT sum("bytesUsed") FROM users u WHERE u."realmId" = r.id), 0)::text AS bytes,
            (SELECT count(*) FROM message_recipients mr JOIN messages m ON m.id = mr."messageId" WHERE m."realmId" = r.id AND m."sentAt" IS NOT NULL)::text AS waiting
       FROM realms r`,
  );
  const lines = [
    "# HELP opengroove_bytes_stored Bytes charged to users, by realm",
    "# TYPE opengroove_bytes_stored gauge",
  ];
  for (const x of r.rows) lines.push(`opengroove_bytes_stored{realm="${x.slug}"} ${x.bytes}`);
  lines.push(
    "# HELP opengroove_queue_depth Message deliveries waiting for a recipient computer, by realm",
    "# TYPE opengroove_queue_depth gauge",
  );
  for (const x of r.rows) lines.push(`opengroove_queue_depth{realm="${x.slug}"} ${x.waiting}`);
  lines.push(await backupMetrics(d.db.pool));
  return lines.join("\n");
}
