// Workspace relay throughput of a real realm daemon (TLS, real PostgreSQL) for small (1 KiB)
// and large (8 MiB) changes, next to a baseline measured in the same run: raw INSERT, then
// SELECT + DELETE, of the same payloads through pg with the same concurrency.
//   publish = SDK publish: one workspacepublish for a 1 KiB change; workspacebegin + 512 KiB
//             workspacewrite chunks (3 in flight) + workspaceseal for 8 MiB (durable at each reply)
//   consume = workspacepull + workspaceread of every change + workspaceack (frees the blocks)
// Run with `npm run bench` (starts PostgreSQL) or `npx tsx bench/workspaces.ts` with
// OG_TEST_PG_ADMIN_URL set. Bounded: about a minute.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startRealmHarness } from "../tests/helpers/realm.ts";
import type { RealmClient } from "../client/sdk/index.ts";

export interface Phase {
  changes: number;
  bytes: number;
  secs: number;
}

export interface WorkspaceBenchResult {
  label: string;
  size: number;
  concurrency: number;
  publish: Phase;
  consume: Phase;
  baselineInsert: Phase;
  baselineDelete: Phase;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Runs `count` jobs over `workers` lanes, each lane sequential. */
async function lanes(workers: number, count: number, job: (lane: number, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, lane) => {
      for (let i = next++; i < count; i = next++) await job(lane, i);
    }),
  );
}

export async function benchWorkspaces(opts: {
  label: string;
  size: number;
  count: number;
  concurrency: number;
}): Promise<WorkspaceBenchResult> {
  const h = await startRealmHarness({ maxConnectionsPerIp: 1000 });
  try {
    const P = opts.concurrency;
    const author = await h.user(h.plainRealm, "author");
    const reader = await h.user(h.plainRealm, "reader");
    await h.db.pool.query(`UPDATE users SET "quotaBytes" = $1 WHERE username = 'author'`, [
      String(opts.size * opts.count * 2),
    ]);
    const ws = await author.client.workspaces.create("bench");
    await author.client.workspaces.invite(ws, reader.userId);
    await reader.client.workspaces.accept(ws);
    const conns = async (name: string, password: string, first: RealmClient) => {
      const out = [first];
      while (out.length < P) {
        const c = await h.connect(h.plainRealm);
        await c.authenticate(name, "laptop", password);
        out.push(c);
      }
      return out;
    };
    const pubs = await conns("author", author.password, author.client);
    const reads = await conns("reader", reader.password, reader.client);
    const payload = crypto.randomBytes(opts.size);

    const pubSecs = await timed(() =>
      lanes(P, opts.count, async (lane) => void (await pubs[lane].workspaces.publish(ws, payload))),
    );
    let consumed = 0;
    const conSecs = await timed(async () => {
      for (;;) {
        const p = await reads[0].workspaces.pull(ws, 1000);
        await lanes(P, p.changes.length, async (lane, i) => {
          const ch = p.changes[i];
          let n = 0;
          await reads[lane].workspaces.readStream(ws, ch, (d) => void (n += d.length));
          if (n !== opts.size) throw new Error(`short read of change ${ch.seq}`);
          consumed++;
        });
        if (p.changes.length) await reads[0].workspaces.ack(ws, p.upTo);
        if (!p.more) break;
      }
    });
    if (consumed !== opts.count) throw new Error(`consumed ${consumed} of ${opts.count}`);
    const left = await h.db.pool.query<{ workspaceBytes: bigint }>(
      `SELECT "workspaceBytes" FROM users WHERE username = 'author'`,
    );
    if (BigInt(left.rows[0].workspaceBytes) !== 0n) throw new Error("changes were not freed");

    // Baseline: the same payloads, same concurrency, straight through pg.
    const pool = new pg.Pool({ connectionString: h.db.url, max: P });
    await pool.query("CREATE TABLE bench_ws_baseline (id bigserial PRIMARY KEY, data bytea NOT NULL)");
    const insSecs = await timed(() =>
      lanes(
        P,
        opts.count,
        async () => void (await pool.query("INSERT INTO bench_ws_baseline (data) VALUES ($1)", [payload])),
      ),
    );
    const ids = (await pool.query<{ id: string }>("SELECT id FROM bench_ws_baseline ORDER BY id")).rows.map(
      (r) => r.id,
    );
    const delSecs = await timed(() =>
      lanes(P, ids.length, async (_, i) => {
        const r = await pool.query<{ data: Buffer }>("SELECT data FROM bench_ws_baseline WHERE id = $1", [ids[i]]);
        if (r.rows[0].data.length !== opts.size) throw new Error("short baseline read");
        await pool.query("DELETE FROM bench_ws_baseline WHERE id = $1", [ids[i]]);
      }),
    );
    await pool.end();
    const bytes = opts.size * opts.count;
    const phase = (secs: number): Phase => ({ changes: opts.count, bytes, secs });
    return {
      label: opts.label,
      size: opts.size,
      concurrency: P,
      publish: phase(pubSecs),
      consume: phase(conSecs),
      baselineInsert: phase(insSecs),
      baselineDelete: phase(delSecs),
    };
  } finally {
    await h.stop();
  }
}

const MB = 1e6;
const rate = (p: Phase) => ({ perSec: p.changes / p.secs, mbPerSec: p.bytes / MB / p.secs });

export function printWorkspaceResults(results: WorkspaceBenchResult[]): void {
  const rows: Record<string, Record<string, string>> = {};
  for (const r of results) {
    for (const [what, ours, base] of [
      ["publish", r.publish, r.baselineInsert],
      ["consume", r.consume, r.baselineDelete],
    ] as const) {
      const o = rate(ours);
      const b = rate(base);
      rows[`${r.label} ${what} (×${r.concurrency})`] = {
        "changes/s": o.perSec.toFixed(o.perSec < 100 ? 1 : 0),
        "MB/s": o.mbPerSec.toFixed(1),
        [`baseline changes/s`]: b.perSec.toFixed(b.perSec < 100 ? 1 : 0),
        "baseline MB/s": b.mbPerSec.toFixed(1),
        ratio: (o.perSec / b.perSec).toFixed(3),
      };
    }
  }
  console.log(
    "\nworkspaces: publish (1 KiB: workspacepublish; 8 MiB: begin + 512 KiB writes + seal) vs raw INSERT; consume = pull + read + ack (frees) vs raw SELECT + DELETE",
  );
  console.table(rows);
}

export async function runWorkspaceBench(): Promise<WorkspaceBenchResult[]> {
  const results = [
    await benchWorkspaces({ label: "1 KiB", size: 1024, count: 3000, concurrency: 8 }),
    await benchWorkspaces({ label: "8 MiB", size: 8 * 1024 * 1024, count: 24, concurrency: 4 }),
  ];
  printWorkspaceResults(results);
  return results;
}

// Imported by bench/run.ts (PostgreSQL already started) or run directly.
if (process.env.OG_TEST_PG_ADMIN_URL) {
  await runWorkspaceBench();
} else {
  const { startEmbeddedPostgres } = await import("../lib/db/embedded-postgres.ts");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-bench-ws-"));
  fs.chmodSync(tmp, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port: 0 });
  process.env.OG_TEST_PG_ADMIN_URL = server.url("postgres");
  try {
    await runWorkspaceBench();
  } finally {
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
