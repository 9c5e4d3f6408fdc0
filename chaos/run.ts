// `npm run chaos [-- --short] [-- --json] [-- --only=kill,fuzz-codec]`: the chaos suite (issue
// #13, docs/chaos.md). A real PostgreSQL of its own (embedded, temporary, so it can be stopped
// and started under load), the realm daemon in a separate process, clients over TLS. Each case
// prints its figures and checks its invariant; the exit code is 1 when any invariant failed.
//   --short  the CI mode: fewer repetitions and smaller counts (about 3 minutes on 2 cores)
//   --json   one JSON object per line per case on stdout (human lines go to stderr anyway)
//   --keep   keep the run's folder (PostgreSQL cluster, daemon logs) even when every case passed
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  RestartablePg,
  caseLog,
  tail,
  type ChaosCase,
  type Ctx,
  type Daemon,
  type Figure,
  type Options,
} from "./harness.ts";

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const only = argv
  .find((a) => a.startsWith("--only="))
  ?.slice(7)
  .split(",");
const opts: Options = {
  short: flag("short"),
  json: flag("json"),
  tmp: fs.mkdtempSync(path.join(os.tmpdir(), "og-chaos-")),
};
fs.chmodSync(opts.tmp, 0o755);
process.env.OPENGROOVE_LOG_LEVEL ??= "warn";
process.env.OG_TEST_TEMPLATE_DB ??= "og_chaos_template";

const CASES: Array<[string, () => Promise<{ run: ChaosCase }>]> = [
  ["kill", () => import("./kill-daemon.ts")],
  ["pg-restart", () => import("./pg-restart.ts")],
  ["slowloris", () => import("./slowloris.ts")],
  ["fuzz-codec", () => import("./fuzz-codec.ts")],
  ["fuzz-socket", () => import("./fuzz-socket.ts")],
  ["brute-force", () => import("./brute-force.ts")],
  ["signup-flood", () => import("./signup-flood.ts")],
];
const unknown = only?.filter((o) => !CASES.some(([n]) => n === o));
if (unknown?.length) {
  console.error(`unknown case(s): ${unknown.join(", ")}; cases: ${CASES.map(([n]) => n).join(", ")}`);
  process.exit(64);
}

const say = (s: string) => console.error(s);
const pg = new RestartablePg(path.join(opts.tmp, "pg"));
// Whatever happens, the cluster does not outlive the run.
const die = (e: unknown) => {
  say(`chaos: crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  void pg.stop().finally(() => process.exit(1));
};
process.on("uncaughtException", die);
process.on("unhandledRejection", die);
await pg.start();
process.env.OG_TEST_PG_ADMIN_URL = pg.url("postgres");
const { createBenchDb, makeUsers, startDaemon } = await import("../bench/setup.ts");
say(
  `chaos${opts.short ? " (short)" : ""}: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, node ${process.version}, ` +
    `load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}, run folder ${opts.tmp}`,
);

const results: Figure[] = [];
const t0 = Date.now();
try {
  for (const [name, load] of CASES) {
    if (only && !only.includes(name)) continue;
    const started = Date.now();
    const log = caseLog(opts.tmp, name);
    const db = await createBenchDb();
    const daemons: Daemon[] = [];
    const ctx: Ctx = {
      opts,
      pg,
      db,
      say: (s) => say(`  ${name}: ${s}`),
      async daemon(o = {}) {
        const d = await startDaemon(db.url, { logFd: log.fd, ...o });
        daemons.push(d);
        return d;
      },
      users: (prefix, n) => makeUsers(db.pool, prefix, n),
    };
    let f: Figure;
    try {
      const mod = await load();
      let timer: NodeJS.Timeout | undefined;
      const limitMin = opts.short ? 4 : 15;
      f = await Promise.race([
        mod.run(ctx),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no result within ${limitMin} minutes`)), limitMin * 60_000);
        }),
      ]).finally(() => clearTimeout(timer));
    } catch (e) {
      f = {
        case: name,
        ok: false,
        invariant: "the case runs to the end",
        summary: `did not finish: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        figures: {},
      };
    } finally {
      for (const d of daemons) await d.stop().catch(() => d.proc.kill("SIGKILL"));
      await db.drop().catch(() => undefined);
      fs.closeSync(log.fd);
    }
    f.figures.seconds = Math.round((Date.now() - started) / 100) / 10;
    results.push(f);
    say(`${f.ok ? "PASS" : "FAIL"} ${name} (${f.figures.seconds} s): ${f.summary}`);
    if (!f.ok) {
      say(`  invariant: ${f.invariant}`);
      const t = tail(log.file);
      if (t) say(`  daemon log (last lines of ${log.file}):\n${t.replace(/^/gm, "    ")}`);
    }
    if (opts.json) console.log(JSON.stringify({ case: f.case, ok: f.ok, invariant: f.invariant, ...f.figures }));
  }
} finally {
  await pg.stop().catch(() => undefined);
}
const failed = results.filter((r) => !r.ok);
say(
  `chaos: ${results.length - failed.length} of ${results.length} cases held in ${Math.round((Date.now() - t0) / 1000)} s` +
    (failed.length ? `; FAILED: ${failed.map((f) => f.case).join(", ")}` : ""),
);
if (failed.length || flag("keep")) say(`run folder kept: ${opts.tmp}`);
else fs.rmSync(opts.tmp, { recursive: true, force: true });
process.exit(failed.length ? 1 : 0);
