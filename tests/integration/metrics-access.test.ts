// /metrics (issue #13): loopback only without a token, a bearer token when one is configured,
// and a scrape never aggregates over users or messages: the storage gauges read figures the
// daemon refreshes on a slow timer. Real daemon bound on every interface, real PostgreSQL.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import type pg from "pg";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness({}, { bindHost: "0.0.0.0" });
});
after(async () => h.stop());

/** An address of this machine that is not loopback (requests from it are not "local"). */
const external = Object.values(os.networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && i.family === "IPv4")?.address;

const url = (host: string) => `http://${host}:${h.daemon.httpPort}/metrics`;

test("without a token, /metrics answers loopback clients only (401 from another address)", async (t) => {
  assert.equal((await fetch(url("127.0.0.1"))).status, 200);
  if (!external) return t.skip("this machine has no non-loopback IPv4 address to request from");
  const r = await fetch(url(external));
  assert.equal(r.status, 401);
  assert.match(await r.text(), /loopback clients only; set OPENGROOVE_METRICS_TOKEN/);
  // /healthz stays open to load balancers.
  assert.equal((await fetch(`http://${external}:${h.daemon.httpPort}/healthz`)).status, 200);
});

test("with OPENGROOVE_METRICS_TOKEN, every client needs the bearer token, loopback included", async () => {
  const token = "a-metrics-token-of-some-length";
  h.daemon.config.metricsToken = token;
  try {
    for (const host of ["127.0.0.1", ...(external ? [external] : [])]) {
      assert.equal((await fetch(url(host))).status, 401, `no token from ${host}`);
      const wrong = await fetch(url(host), { headers: { authorization: "Bearer not-the-token-at-all-really" } });
      assert.equal(wrong.status, 401, `wrong token from ${host}`);
      const ok = await fetch(url(host), { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200, `right token from ${host}`);
      assert.match(await ok.text(), /^opengroove_bytes_stored\{realm="plain"\} \d+$/m);
    }
  } finally {
    h.daemon.config.metricsToken = undefined;
  }
});

test("a scrape runs no aggregate over users or messages; the storage gauges follow the periodic refresh", async () => {
  const s = await h.user(h.plainRealm, "scraped");
  const r = await h.user(h.plainRealm, "scrapee");
  await h.daemon.refreshStorageFigures();
  const gauge = async () => {
    const text = await (await fetch(url("127.0.0.1"))).text();
    return Number(/^opengroove_bytes_stored\{realm="plain"\} (\d+)$/m.exec(text)?.[1]);
  };
  const before = await gauge();
  // Every query the daemon's pool runs during the scrapes is recorded.
  const pool = h.daemon.db.pool as pg.Pool & { query: (...a: unknown[]) => unknown };
  const original = pool.query.bind(pool);
  const seen: string[] = [];
  pool.query = ((...args: unknown[]) => {
    const q = args[0] as string | { text: string };
    seen.push(typeof q === "string" ? q : q.text);
    return (original as (...a: unknown[]) => unknown)(...args);
  }) as typeof pool.query;
  try {
    await s.client.send(s.userId, [r.userId], Buffer.alloc(10_000, 1));
    seen.length = 0;
    for (let i = 0; i < 5; i++) assert.equal(await gauge(), before, "scrapes read the last refresh");
    const aggregates = seen.filter(
      (q) => /\b(sum|count)\s*\(/i.test(q) && /\b(users|messages|message_recipients)\b/.test(q),
    );
    assert.deepEqual(aggregates, [], "no sum()/count() over users or messages during 5 scrapes");
  } finally {
    pool.query = original as typeof pool.query;
  }
  await h.daemon.refreshStorageFigures();
  assert.ok((await gauge()) >= before + 10_000, "the refresh picks up the new message");
});
