// The measurements: store and drain against same-run pg baselines, live push latency at a
// fixed offered load, idle connection memory, and the cost of a growing store.
import crypto from "node:crypto";
import { clusterCpuMs, postmasterPid } from "./cpu-usage.ts";
import type pg from "pg";
import { makeUsers, split, REALM, type Daemon, type Workers } from "./setup.ts";
import type { Cred, Job } from "./load-worker.ts";

export interface Figure {
  name: string;
  concurrency?: number;
  bytes?: number;
  preloaded?: number;
  messages?: number;
  perSec?: number;
  baselinePerSec?: number;
  ratio?: number;
  offeredPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  connections?: number;
  rssKbPerConn?: number;
  /** Group-commit batches during the phase, their mean size and mean time (daemon side). */
  batches?: number;
  meanBatch?: number;
  msPerBatch?: number;
  /** Post batches whose unlocked decisions did not hold and ran again the locked way. */
  lockedRetries?: number;
  /** Mean ms per batch waiting for a pool client, reading, writing (post-only batches). */
  connectMs?: number;
  readMs?: number;
  writeMs?: number;
  /** CPU ms per message of the daemon, of PostgreSQL and of the clients (bench/cpu-usage.ts). */
  cpuDaemonMs?: number;
  cpuPgMs?: number;
  cpuClientMs?: number;
  /** The same for the baseline (no daemon: PostgreSQL and its `pg` clients). */
  baselineCpuPgMs?: number;
  baselineCpuClientMs?: number;
}

interface WriterStats {
  batches: number;
  operations: number;
  busyMs: number;
  optimisticRetries: number;
  connectMs: number;
  readMs: number;
  writeMs: number;
  cpuMs: number;
}
const writerStats = async (ctx: Ctx) =>
  (await ctx.daemon.request<{ writer: WriterStats }>({ op: "stats" }, "stats")).writer;
/** The writer's figures between two snapshots. */
function batchFigures(a: WriterStats, b: WriterStats): Partial<Figure> {
  const batches = b.batches - a.batches;
  return {
    batches,
    meanBatch: r2((b.operations - a.operations) / Math.max(1, batches)),
    msPerBatch: r2((b.busyMs - a.busyMs) / Math.max(1, batches)),
    lockedRetries: b.optimisticRetries - a.optimisticRetries,
    connectMs: r2((b.connectMs - a.connectMs) / Math.max(1, batches)),
    readMs: r2((b.readMs - a.readMs) / Math.max(1, batches)),
    writeMs: r2((b.writeMs - a.writeMs) / Math.max(1, batches)),
  };
}

export interface Ctx {
  pool: pg.Pool;
  url: string;
  daemon: Daemon;
  workers: Workers;
}

export function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Store N messages from `c` senders, drain them with `c` recipients; raw INSERT/DELETE baselines with `c` connections. */
export async function storeDrain(
  ctx: Ctx,
  c: number,
  bytes: number,
  total: number,
  preloaded = 0,
): Promise<[Figure, Figure]> {
  const perConn = Math.max(1, Math.ceil(total / c));
  const n = perConn * c;
  const senders = await makeUsers(ctx.pool, "s", c);
  const readers = await makeUsers(ctx.pool, "r", c);
  const W = Math.min(c, ctx.workers.size);
  const pm = await postmasterPid(ctx.pool);
  const store = await phase(
    ctx,
    pm,
    split(senders, W).map((part) => ({
      kind: "store" as const,
      port: ctx.daemon.port,
      senders: part,
      recipients: readers.map((r) => r.userId),
      perConn,
      bytes,
    })),
  );
  const drain = await phase(
    ctx,
    pm,
    split(readers, W).map((part) => ({ kind: "drain" as const, port: ctx.daemon.port, readers: part, bytes })),
  );
  if (store.count !== n || drain.count !== n) throw new Error(`stored ${store.count}, drained ${drain.count} of ${n}`);

  await ctx.pool.query(
    "CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, recipient text NOT NULL, data bytea NOT NULL)",
  );
  await ctx.pool.query("TRUNCATE bench_baseline");
  const parts = split(
    Array.from({ length: c }, (_, i) => i),
    W,
  );
  const ins = await phase(
    ctx,
    pm,
    parts.map((p) => ({
      kind: "insert" as const,
      url: ctx.url,
      conns: p.length,
      first: p[0] * 1_000_000,
      perConn,
      bytes,
    })),
  );
  const del = await phase(
    ctx,
    pm,
    parts.map((p) => ({ kind: "delete" as const, url: ctx.url, conns: p.length, first: p[0] * 1_000_000 })),
  );
  const base = { concurrency: c, bytes, preloaded, messages: n };
  return [
    { name: "store", ...base, ...compare(store, ins) },
    { name: "drain", ...base, ...compare(drain, del) },
  ];
}

type Phase = Awaited<ReturnType<Workers["run"]>> & { before: WriterStats; after: WriterStats; pgMs: number };

/**
 * Runs one job on the workers, with the daemon's writer figures and PostgreSQL's CPU taken once
 * every client is connected and logged in (logins' Argon2 is not a message's cost) and at the end.
 */
async function phase(ctx: Ctx, pm: number | null, jobs: Job[]): Promise<Phase> {
  let before!: WriterStats;
  let pg0 = NaN;
  const r = await ctx.workers.run(jobs, async () => {
    before = await writerStats(ctx);
    pg0 = clusterCpuMs(pm);
  });
  return { ...r, before, after: await writerStats(ctx), pgMs: clusterCpuMs(pm) - pg0 };
}

/** A daemon phase against its baseline phase: rates, ratio, batch figures, CPU per message. */
function compare(ours: Phase, baseline: Phase): Partial<Figure> {
  const rate = ours.count / ours.secs;
  const baseRate = baseline.count / baseline.secs;
  return {
    perSec: Math.round(rate),
    baselinePerSec: Math.round(baseRate),
    ratio: r2(rate / baseRate),
    ...batchFigures(ours.before, ours.after),
    cpuDaemonMs: r3((ours.after.cpuMs - ours.before.cpuMs) / ours.count),
    cpuPgMs: r3(ours.pgMs / ours.count),
    cpuClientMs: r3(ours.cpuMs / ours.count),
    baselineCpuPgMs: r3(baseline.pgMs / baseline.count),
    baselineCpuClientMs: r3(baseline.cpuMs / baseline.count),
  };
}

/** Live push latency at a fixed offered load: 8 recipients online, 32 senders, open loop. */
export async function live(ctx: Ctx, perSec: number, seconds: number): Promise<Figure> {
  const senders = await makeUsers(ctx.pool, "ls", 32);
  const readers = await makeUsers(ctx.pool, "lr", 8);
  const r = await ctx.workers.run([
    { kind: "live", port: ctx.daemon.port, senders, readers, perSec, seconds, bytes: 1024 },
  ]);
  const offered = Math.round(perSec * seconds);
  if (r.count < offered) console.error(`live ${perSec}/s: ${r.count} of ${offered} pushes arrived`);
  return {
    name: "live",
    concurrency: senders.length,
    offeredPerSec: perSec,
    messages: r.count,
    p50Ms: r2(pct(r.latencies, 50)),
    p99Ms: r2(pct(r.latencies, 99)),
    maxMs: r2(Math.max(...r.latencies)),
  };
}

/** Daemon RSS per idle greeted TLS connection. */
export async function idle(ctx: Ctx, count: number): Promise<Figure> {
  const rss = () => ctx.daemon.request<{ rss: number; connections: number }>({ op: "rss" }, "rss");
  const before = await rss();
  const parts = split(
    Array.from({ length: count }, (_, i) => i),
    ctx.workers.size,
  );
  await ctx.workers.run(parts.map((p) => ({ kind: "idle" as const, port: ctx.daemon.port, count: p.length })));
  const after = await rss();
  await ctx.workers.release();
  const held = after.connections - before.connections;
  return {
    name: "idle",
    connections: held,
    rssKbPerConn: r2((after.rss - before.rss) / 1024 / held),
  };
}

/**
 * Preloads `n` more waiting messages (64-byte bodies) in bulk with SQL, spread over 100 backlog
 * recipients, from one backlog sender who is charged for them.
 */
export async function preload(
  pool: pg.Pool,
  n: number,
  backlog: { sender: string; readerNames: string[]; readerIds: string[] },
): Promise<void> {
  const step = 100_000;
  for (let done = 0; done < n; done += step) {
    const k = Math.min(step, n - done);
    const tag = crypto.randomBytes(4).toString("hex");
    await pool.query(
      `WITH s AS (SELECT id, username FROM users WHERE "realmId" = $1 AND username = $2),
       m AS (INSERT INTO messages ("realmId", "messageId", "senderId", "senderUserId", "senderComputer", size, "sentAt", "expiresAt")
             SELECT $1, $1 || '::' || s.username || '-pre' || $4 || '-' || g, $1 || '::' || s.username, s.id, 'laptop', 64, now(), now() + interval '30 days'
               FROM s, generate_series(1, $3::int) g RETURNING id),
       b AS (INSERT INTO message_blocks ("messageId", block, data) SELECT id, 0, decode(repeat('ab', 64), 'hex') FROM m),
       r AS (INSERT INTO message_recipients ("messageId", "recipientId", "userId", computer)
             SELECT m.id, $1 || '::' || ($5::text[])[1 + m.id % $7], ($6::text[])[1 + m.id % $7], 'laptop' FROM m)
       UPDATE users SET "bytesUsed" = "bytesUsed" + 64 * $3, "messageBytes" = "messageBytes" + 64 * $3 WHERE id = (SELECT id FROM s)`,
      [REALM, backlog.sender, k, tag, backlog.readerNames, backlog.readerIds, backlog.readerNames.length],
    );
  }
  await pool.query("VACUUM ANALYZE messages, message_recipients, message_blocks");
}

/** Latency of one command, sequentially, on one logged-in connection. */
export async function latency(
  ctx: Ctx,
  name: string,
  cred: Cred,
  command: string,
  args: string[],
  preloaded: number,
): Promise<Figure> {
  const r = await ctx.workers.run([{ kind: "latency", port: ctx.daemon.port, cred, command, args, n: 200 }]);
  return {
    name,
    preloaded,
    p50Ms: r2(pct(r.latencies, 50)),
    p99Ms: r2(pct(r.latencies, 99)),
    maxMs: r2(Math.max(...r.latencies)),
  };
}
