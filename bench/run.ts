// `npm run bench [-- --quick] [-- --json] [-- --cpu-prof]`: a real PostgreSQL (embedded,
// temporary, fsync on), the realm daemon in its own process, load generators in others, TLS
// on loopback. Every figure is printed next to a baseline measured in the same run.
//   --quick     store and drain at 32 connections, live push at 1000 msg/s (under 3 minutes)
//   --json      one JSON object per line per measurement
//   --cpu-prof  CPU profile of the daemon while 32 senders store (bench-daemon.cpuprofile)
//   --scale=F   F times the default message counts; --max-preload=N  growing store up to N
//   --only=A,B  only these parts of the full run: storedrain, live, idle, growth
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../lib/db/embedded-postgres.ts";
import { summariseProfile } from "./cpu-profile.ts";

const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const json = args.has("--json");
const cpuProf = args.has("--cpu-prof");
// --scale=0.25 runs a quarter of the messages (a busy machine); --max-preload=100000 stops the
// growing-store series early.
const flag = (name: string, def: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : def;
};
const scale = flag("scale", 1);
const maxPreload = flag("max-preload", 1_000_000);
const onlyArg = process.argv.find((x) => x.startsWith("--only="));
const only = onlyArg ? new Set(onlyArg.slice(7).split(",")) : undefined;
const part = (name: string) => !only || only.has(name);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-bench-"));
fs.chmodSync(tmp, 0o755);
process.env.OPENGROOVE_LOG_LEVEL ??= "warn";
process.env.OG_TEST_TEMPLATE_DB ??= "og_bench_template";
const pg = process.env.OG_TEST_PG_ADMIN_URL
  ? undefined
  : await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port: 0 });
if (pg) process.env.OG_TEST_PG_ADMIN_URL = pg.url("postgres");

const { createBenchDb, makeUsers, startDaemon, Workers } = await import("./setup.ts");
const { storeDrain, live, idle, preload, latency } = await import("./scenarios.ts");
type Figure = import("./scenarios.ts").Figure;

const figures: Figure[] = [];
function report(...fs: Figure[]): void {
  for (const f0 of fs) {
    // The 1-minute load average when the figure was taken: other work on the machine distorts it.
    const f = { ...f0, load: Math.round(os.loadavg()[0] * 10) / 10 };
    figures.push(f);
    if (json) console.log(JSON.stringify(f));
    else console.error(`  ${JSON.stringify(f)}`);
  }
}
const say = (s: string) => {
  if (!json) console.error(s);
};

const db = await createBenchDb();
const daemon = await startDaemon(db.url);
const workers = new Workers(2);
const ctx = { pool: db.pool, url: db.url, daemon, workers };
const machine = {
  name: "machine",
  cpus: os.cpus().length,
  model: os.cpus()[0]?.model ?? "?",
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  load: Math.round(os.loadavg()[0] * 10) / 10,
};
if (json) console.log(JSON.stringify(machine));
else say(`machine: ${JSON.stringify(machine)}`);
try {
  const profile = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (!cpuProf) return fn();
    await daemon.request({ op: "profile-start" }, "profile-started");
    const r = await fn();
    const file = path.resolve("bench-daemon.cpuprofile");
    await daemon.request({ op: "profile-stop", file }, "profile-stopped");
    const s = summariseProfile(file);
    if (json) console.log(JSON.stringify({ name: "profile", file, top: s.frames, byArea: s.byArea }));
    else {
      console.error(`daemon CPU profile while storing (${file}), self time:`);
      console.table(s.byArea);
      console.table(s.frames);
    }
    return r;
  };
  if (quick) {
    say("store and drain, 32 connections, 1 KiB");
    report(...(await profile(() => storeDrain(ctx, 32, 1024, 3200))));
    say("live push at 1000 msg/s");
    report(await live(ctx, 1000, 5));
  } else {
    for (const bytes of part("storedrain") ? [1024, 65536] : [])
      for (const c of [1, 8, 32, 128]) {
        say(`store and drain, ${c} connection(s), ${bytes / 1024} KiB`);
        const total = Math.round(scale * (bytes === 1024 ? (c === 1 ? 1000 : 4000) : c === 1 ? 200 : 800));
        const run = () => storeDrain(ctx, c, bytes, total);
        report(...(await (c === 32 && bytes === 1024 ? profile(run) : run())));
      }
    for (const rate of part("live") ? [100, 1000, 5000] : []) {
      say(`live push at ${rate} msg/s`);
      report(await live(ctx, rate, rate === 100 ? 10 : 5));
    }
    if (part("idle")) {
      say("idle greeted TLS connections");
      report(await idle(ctx, 10_000));
    }
    // Cost as the store grows: the same measurements with 0, 100k and 1M messages waiting.
    const [sender] = await makeUsers(db.pool, "backlog-sender", 1);
    const readers = await makeUsers(db.pool, "backlog", 100);
    const ids = await db.pool.query<{ id: string; username: string }>(
      `SELECT id, username FROM users WHERE username = ANY($1::text[])`,
      [readers.map((r) => r.username)],
    );
    const backlog = {
      sender: sender.username,
      readerNames: ids.rows.map((r) => r.username),
      readerIds: ids.rows.map((r) => r.id),
    };
    const reader = readers.find((r) => r.username === backlog.readerNames[0])!;
    let loaded = 0;
    for (const level of [0, 100_000, 1_000_000].filter((l) => l <= maxPreload && part("growth"))) {
      if (level > loaded) {
        say(`preloading ${level - loaded} messages`);
        await preload(db.pool, level - loaded, backlog);
        loaded = level;
      }
      say(`with ${level} messages waiting`);
      report(...(await storeDrain(ctx, 32, 1024, Math.round(4000 * scale), level)));
      report(await latency(ctx, "listinbound", reader, "listinboundmessages", ["1000"], level));
      report(await latency(ctx, "getquotas", sender, "getquotas", [], level));
    }
  }
  if (!json) {
    console.table(
      figures.map((f) => ({ ...f })),
      [
        "name",
        "concurrency",
        "bytes",
        "preloaded",
        "perSec",
        "baselinePerSec",
        "ratio",
        "p50Ms",
        "p99Ms",
        "maxMs",
        "rssKbPerConn",
        "meanBatch",
        "msPerBatch",
        "load",
      ],
    );
    // Benchmarks added by later issues run when present.
    const more = path.join(import.meta.dirname, "workspaces.ts");
    if (!quick && fs.existsSync(more)) await import(more);
  }
} finally {
  workers.stop();
  await daemon.stop().catch(() => undefined);
  await db.drop();
  await pg?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
