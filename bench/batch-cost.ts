// `npx tsx bench/batch-cost.ts [batchSize] [batches]`: the CPU a group-commit batch of posts
// costs, per message, on each side, with no TLS, no clients and no event-loop contention: the
// real batch path (lib/domain/message-batch.ts) called directly, one batch after another, with a
// LISTEN connection open as a daemon has (so NOTIFY delivery is counted). Prints the node CPU
// and the PostgreSQL cluster's CPU per message (bench/cpu-usage.ts) and the wall time per batch.
// CPU per message hardly depends on how busy the machine is, so it compares changes to the
// batch statements on a shared machine where rates do not.
import crypto from "node:crypto";
import os from "node:os";
import fs from "node:fs";
import { Session } from "node:inspector/promises";
import pg from "pg";
import { benchPostgres } from "./embedded-pg.ts";
import { clusterCpuMs, ownCpuMs, postmasterPid } from "./cpu-usage.ts";

const size = Number(process.argv[2] ?? 8);
const batches = Number(process.argv[3] ?? 400);
const server = await benchPostgres("og-batch-cost");
const { createBenchDb, makeUsers, REALM } = await import("./setup.ts");
const { runMessageBatch } = await import("../lib/domain/message-batch.ts");
const { CHANNELS } = await import("../lib/db/notify.ts");

const db = await createBenchDb();
const listener = new pg.Client({ connectionString: db.url });
try {
  await listener.connect();
  let notified = 0;
  listener.on("notification", () => notified++);
  await listener.query(`LISTEN ${CHANNELS.message}`);
  const senders = await makeUsers(db.pool, "cs", 32);
  const readers = await makeUsers(db.pool, "cr", 32);
  const ids = await db.pool.query<{ id: string; username: string }>(
    `SELECT id, username FROM users WHERE username = ANY($1::text[])`,
    [senders.map((s) => s.username)],
  );
  const body = crypto.randomBytes(1024);
  let k = 0;
  const batch = () =>
    Array.from({ length: size }, () => {
      const u = ids.rows[k % ids.rows.length];
      const r = readers[k++ % readers.length];
      return {
        kind: "post" as const,
        caller: { realmId: REALM, userId: u.id, fullId: `${REALM}::${u.username}`, computer: "laptop" },
        messageId: `${REALM}::${u.username}-${k}-${crypto.randomBytes(4).toString("hex")}`,
        recipients: [{ recipientId: r.userId, computer: "" }],
        body,
        retentionDays: 30,
      };
    });
  for (let i = 0; i < 20; i++) await runMessageBatch(db.pool, batch(), "cost"); // warm up: plans, caches
  const pm = await postmasterPid(db.pool);
  const pg0 = clusterCpuMs(pm);
  const me0 = ownCpuMs();
  const cu0 = process.cpuUsage();
  const prof = process.env.OG_BATCH_COST_PROFILE ? new Session() : undefined;
  if (prof) {
    prof.connect();
    await prof.post("Profiler.enable");
    await prof.post("Profiler.setSamplingInterval", { interval: 200 });
    await prof.post("Profiler.start");
  }
  const t0 = performance.now();
  for (let i = 0; i < batches; i++) {
    const res = await runMessageBatch(db.pool, batch(), "cost");
    const bad = res.find((r) => r instanceof Error);
    if (bad) throw bad;
  }
  const wall = performance.now() - t0;
  if (prof) {
    const { profile } = await prof.post("Profiler.stop");
    fs.writeFileSync(process.env.OG_BATCH_COST_PROFILE!, JSON.stringify(profile));
    prof.disconnect();
  }
  await new Promise((r) => setTimeout(r, 300)); // the last notifications
  const n = size * batches;
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  console.log(
    JSON.stringify({
      name: "batch-cost",
      batchSize: size,
      messages: n,
      nodeCpuMs: r3((ownCpuMs() - me0) / n),
      pgCpuMs: r3((clusterCpuMs(pm) - pg0) / n),
      nodeSysShare:
        Math.round((100 * process.cpuUsage(cu0).system) / (process.cpuUsage(cu0).system + process.cpuUsage(cu0).user)) /
        100,
      msPerBatch: r3(wall / batches),
      notifications: notified,
      load: Math.round(os.loadavg()[0] * 10) / 10,
    }),
  );
} finally {
  await listener.end().catch(() => undefined);
  await db.drop();
  await server.stop();
}
