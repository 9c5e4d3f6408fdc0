// Issue #17: a realm down for 60 s (a real stop and restart, on a new port) while changes are
// published to it at a steady rate; when it is back the sending realm is told at once by the
// management server (push realmup), not by its registry refresh or a backoff left over: every
// change arrives in order and exactly once. The sending realm runs production backoff timings
// (1 s..60 s), no registry refresh during the test, and its backoff is pushed an hour out before
// the restart, so only the announcement can make the first delivery quick. OG_TEST_OUTAGE_MS shortens the outage. Figures: bench/federation-outbox.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FEDERATION_DEFAULTS } from "../../realm-daemon/federation/config.ts";
import { sharedWorkspace, waitFor, type RealmNode } from "../helpers/federation.ts";
import { federationSuite } from "../helpers/federation-suite.ts";

const OUTAGE_MS = Number(process.env.OG_TEST_OUTAGE_MS ?? 60_000);
let r1: RealmNode;
let r2: RealmNode;
const production = {
  retryBaseMs: FEDERATION_DEFAULTS.retryBaseMs,
  retryMaxMs: FEDERATION_DEFAULTS.retryMaxMs,
  // Longer than the test: no registry refresh finds R2's new address by chance.
  peerRefreshMs: 600_000,
  peerCacheFreshMs: FEDERATION_DEFAULTS.peerCacheFreshMs,
};
federationSuite(
  ["r1", "r2"],
  (realms) => ([r1, r2] = realms),
  (n) => (n === "r1" ? production : {}),
);

const body = (i: number) => Buffer.from(`change ${i} `.padEnd(512, "y"));

test(`a realm down for ${OUTAGE_MS / 1000} s then restarted on a new port gets every change in order, exactly once, as soon as it is back`, async () => {
  const a = await r1.user("alice");
  const b = await r2.user("bob");
  const { ws, mb } = await sharedWorkspace(r1, a.client, r2, b, "outage");
  const oldPort = r2.port();

  await r2.stop();
  const bySeq = new Map<bigint, number>();
  const until = Date.now() + OUTAGE_MS;
  for (let i = 1; Date.now() < until; i++) {
    const r = await a.client.workspaces.publish(ws, body(i));
    bySeq.set(r.seq, i);
    await new Promise((res) => setTimeout(res, 250));
  }
  const n = bySeq.size;
  const target = await r1.db.pool.query<{ failures: number; nextAttemptAt: Date }>(
    `SELECT failures, "nextAttemptAt" FROM federation_targets WHERE "targetRealmId" = $1`,
    [r2.realmId],
  );
  assert.ok(target.rows[0].failures > 0, "R1 saw R2 down and backed off");
  console.log(`# ${n} changes published during the outage; R1's backoff: ${target.rows[0].failures} failures`);
  // Whatever backoff is left, make it long: only R2 coming back may cut it short.
  await r1.db.pool.query(
    `UPDATE federation_targets SET "nextAttemptAt" = now() + interval '1 hour' WHERE "targetRealmId" = $1`,
    [r2.realmId],
  );

  await r2.start();
  const back = Date.now();
  assert.notEqual(r2.port(), oldPort, "R2 came back on another port");
  const head = async () =>
    BigInt(
      (await r2.db.pool.query<{ nextSeq: string }>(`SELECT "nextSeq" FROM workspaces WHERE id = $1`, [mb])).rows[0]
        .nextSeq,
    ) - 1n;
  await waitFor(async () => (await head()) > 0n, 20_000, "the first change after the restart");
  const firstMs = Date.now() - back;
  await waitFor(async () => (await head()) === BigInt(n), 120_000, `all ${n} changes on R2`);
  console.log(`# first change ${firstMs} ms, all ${n} ${Date.now() - back} ms after R2 was back`);
  // R1 would not have tried for an hour, nor refreshed R2's address: only the announcement did it.
  assert.ok(firstMs < 15_000, `the first change arrived ${firstMs} ms after the restart`);

  const bob = await r2.login("bob", "laptop", "correct horse battery");
  const p = await bob.workspaces.pull(mb);
  assert.deepEqual(
    p.changes.map((c) => c.seq),
    Array.from({ length: n }, (_, i) => BigInt(i + 1)),
    "in order, each once",
  );
  for (const seq of [1, Math.ceil(n / 2), n])
    assert.ok(
      (await bob.workspaces.download(mb, p.changes[seq - 1])).equals(body(bySeq.get(BigInt(seq))!)),
      `change ${seq} intact`,
    );
  const stored = await r2.db.pool.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM workspace_changes WHERE "workspaceId" = $1`,
    [mb],
  );
  assert.equal(stored.rows[0].n, String(n), "stored once");
  const open = await r1.db.pool.query(
    `SELECT 1 FROM federation_outbox WHERE kind = 'ws-change' AND "deliveredAt" IS NULL`,
  );
  assert.equal(open.rowCount, 0, "nothing left queued on R1");
});
