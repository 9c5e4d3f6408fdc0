// A 200 MiB workspace change streams through a real realm daemon (in this process, so its
// memory is measurable here) without the process's memory growing with the change's size:
// the upload is generated chunk by chunk and the download hashed chunk by chunk, so the only
// way memory could grow is the daemon buffering the change.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import v8 from "node:v8";
import vm from "node:vm";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

const MiB = 1024 * 1024;
const SIZE = 200 * MiB;

/** Incompressible, distinct 1 MiB pieces without holding the whole change anywhere. */
function* generate(total: number, hash: crypto.Hash): Generator<Buffer> {
  const base = crypto.randomBytes(MiB);
  for (let off = 0, i = 0; off < total; off += MiB, i++) {
    const piece = Buffer.from(base.subarray(0, Math.min(MiB, total - off)));
    piece.writeUInt32BE(i, 0);
    piece.writeUInt32BE((i * 2654435761) >>> 0, 4096);
    hash.update(piece);
    yield piece;
  }
}

// A full collection before each "after" reading, so garbage not yet collected is not counted
// as growth (the peak, sampled while streaming, includes it).
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

function settled(): { rss: number; heap: number } {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
}

function sampler(): { stop(): { rss: number; heap: number } } {
  let rss = 0;
  let heap = 0;
  const take = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed + m.external);
  };
  take();
  const t = setInterval(take, 10);
  return {
    stop() {
      clearInterval(t);
      take();
      return { rss, heap };
    },
  };
}

test(
  "a 200 MiB change streams through without the daemon's memory growing with its size",
  { timeout: 600_000 },
  async () => {
    const alice = await h.user(h.plainRealm, "alice");
    const bob = await h.user(h.plainRealm, "bob");
    await h.db.pool.query(`UPDATE users SET "quotaBytes" = $1 WHERE username = 'alice'`, [String(1024 * MiB)]);
    const ws = await alice.client.workspaces.create("big");
    await alice.client.workspaces.invite(ws, bob.userId);
    await bob.client.workspaces.accept(ws);
    // Warm up pools, TLS buffers and code paths with a small change, so the baseline is steady.
    await alice.client.workspaces.publish(ws, crypto.randomBytes(4 * MiB));
    const warm = (await bob.client.workspaces.pull(ws)).changes[0];
    await bob.client.workspaces.readStream(ws, warm, () => undefined);
    await bob.client.workspaces.ack(ws, warm.seq);

    const before = settled();
    const s = sampler();
    const sent = crypto.createHash("sha256");
    const t0 = performance.now();
    const sealed = await alice.client.workspaces.publish(ws, generate(SIZE, sent), { size: SIZE });
    const upSecs = (performance.now() - t0) / 1000;
    assert.equal(sealed.size, SIZE);
    const q = await alice.client.quotas();
    assert.equal(q.workspaces, BigInt(SIZE), "charged exactly the change's size");

    const p = await bob.client.workspaces.pull(ws);
    assert.deepEqual(
      p.changes.map((c) => [c.seq, c.size]),
      [[sealed.seq, SIZE]],
    );
    const got = crypto.createHash("sha256");
    let received = 0;
    const t1 = performance.now();
    await bob.client.workspaces.readStream(ws, p.changes[0], (d) => {
      got.update(d);
      received += d.length;
    });
    const downSecs = (performance.now() - t1) / 1000;
    const peak = s.stop();
    assert.equal(received, SIZE);
    assert.equal(got.digest("hex"), sent.digest("hex"), "the change arrives intact");

    const end = settled();
    const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
    console.log(
      `# 200 MiB: upload ${(SIZE / MiB / upSecs).toFixed(0)} MiB/s, download ${(SIZE / MiB / downSecs).toFixed(0)} MiB/s; ` +
        `RSS growth ${mib(end.rss - before.rss)} (peak ${mib(peak.rss - before.rss)}), heap+external growth ${mib(end.heap - before.heap)} (peak ${mib(peak.heap - before.heap)})`,
    );
    assert.ok(end.rss - before.rss < 64 * MiB, `RSS grew by ${mib(end.rss - before.rss)} after streaming 200 MiB`);
    assert.ok(end.heap - before.heap < 64 * MiB, `heap grew by ${mib(end.heap - before.heap)} after streaming 200 MiB`);
    // Even counting garbage not yet collected, memory never came near the change's size.
    assert.ok(
      peak.rss - before.rss < 128 * MiB,
      `peak RSS growth ${mib(peak.rss - before.rss)} while streaming 200 MiB`,
    );
    assert.ok(
      peak.heap - before.heap < 128 * MiB,
      `peak heap growth ${mib(peak.heap - before.heap)} while streaming 200 MiB`,
    );

    const a = await bob.client.workspaces.ack(ws, sealed.seq);
    assert.deepEqual([a.freed, a.released], [1, BigInt(SIZE)]);
    assert.equal((await alice.client.quotas()).workspaces, 0n);
    const left = await h.db.pool.query(`SELECT 1 FROM workspace_change_blocks LIMIT 1`);
    assert.equal(left.rowCount, 0);
  },
);
