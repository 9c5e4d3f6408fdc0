// The realm daemon under test, in its own process (forked by bench/run.ts and chaos/run.ts) so
// it never shares an event loop with the load generator. Talks to the parent over IPC: "ready"
// with its ports, RSS on request (after a full GC), CPU profiling on request, clean stop.
// OG_BENCH_LIMITS (JSON) overrides the bench's limits (the chaos suite runs the defaults).
import fs from "node:fs";
import { Session } from "node:inspector/promises";
import { createLogger } from "../lib/log.ts";
import { RealmDaemon } from "../realm-daemon/daemon.ts";
import { REALM_DEFAULTS, type RealmDefaults } from "../realm-daemon/config.ts";
import { batchCounters } from "../lib/domain/message-batch.ts";
import { ownCpuMs } from "./cpu-usage.ts";

type Msg =
  { op: "stats" } | { op: "rss" } | { op: "profile-start" } | { op: "profile-stop"; file: string } | { op: "stop" };

const daemon = new RealmDaemon(
  {
    databaseUrl: process.env.OG_BENCH_DB_URL!,
    bindHost: "127.0.0.1",
    httpPort: 0,
    plainTcp: false,
    ephemeralPorts: true,
    webUrl: "http://web.invalid",
    limits: {
      ...REALM_DEFAULTS,
      maxConnections: 20_000,
      maxConnectionsPerIp: 100_000,
      idleTimeoutMs: 3_600_000,
      ...(JSON.parse(process.env.OG_BENCH_LIMITS ?? "{}") as Partial<RealmDefaults>),
    },
  },
  createLogger("realm-bench", process.env.OPENGROOVE_LOG_LEVEL ?? "warn"),
);
await daemon.start();
const realm = daemon.listRealms().find((r) => r.slug === "plain")!;
const send = (m: object) => process.send!(m);
send({
  op: "ready",
  port: daemon.listeners.actualPort(realm.port),
  ports: Object.fromEntries(daemon.listRealms().map((r) => [r.slug, daemon.listeners.actualPort(r.port)])),
  httpPort: daemon.httpPort,
});
// The parent is gone (even killed): do not linger holding ports and database connections.
process.on("disconnect", () => process.exit(1));

let session: Session | undefined;
process.on("message", (m: Msg) => {
  void (async () => {
    if (m.op === "stats") {
      send({
        op: "stats",
        writer: { ...daemon.messages.stats, ...batchCounters(), cpuMs: ownCpuMs() },
      });
    } else if (m.op === "rss") {
      for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
      await new Promise((r) => setTimeout(r, 200));
      send({ op: "rss", rss: process.memoryUsage().rss, connections: daemon.connections.size });
    } else if (m.op === "profile-start") {
      session = new Session();
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.setSamplingInterval", { interval: 500 });
      await session.post("Profiler.start");
      send({ op: "profile-started" });
    } else if (m.op === "profile-stop") {
      const { profile } = await session!.post("Profiler.stop");
      fs.writeFileSync(m.file, JSON.stringify(profile));
      session!.disconnect();
      send({ op: "profile-stopped" });
    } else if (m.op === "stop") {
      await daemon.stop();
      process.exit(0);
    }
  })();
});
