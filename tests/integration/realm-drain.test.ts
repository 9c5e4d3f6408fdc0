// Health that tells the truth and a graceful drain, on a real daemon in this process: /readyz
// goes 503 while the LISTEN connection is down and while draining; a drain finishes the request
// already in flight, pushes `shutdown`, and removes the instance and its presences.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";

let h: RealmHarness;
let base: string;
before(async () => {
  h = await startRealmHarness({ shutdownGraceMs: 20_000 });
  base = `http://${HOST}:${h.daemon.httpPort}`;
});
after(async () => h.stop());

interface Health {
  status: string;
  reasons?: string[];
  draining: boolean;
}

async function health(path: string): Promise<{ code: number; body: Health }> {
  const r = await fetch(base + path);
  return { code: r.status, body: (await r.json()) as Health };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("/readyz is 503 while the LISTEN connection is down, and ready again once it reconnects", async () => {
  assert.deepEqual(await health("/readyz"), {
    code: 200,
    body: {
      status: "ready",
      reasons: [],
      instance: h.daemon.instanceId,
      connections: 0,
      draining: false,
      listenErrors: [],
    },
  });
  const killed = await h.db.pool.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'opengroove-listen' AND datname = current_database()`,
  );
  assert.equal(killed.rowCount, 1, "the daemon's LISTEN connection was found and terminated");
  const down = await until("/readyz to report the LISTEN connection down", async () => {
    const r = await health("/readyz");
    return r.code === 503 ? r : undefined;
  });
  assert.deepEqual(down.body.reasons, ["LISTEN connection down"]);
  // Liveness is not readiness: the process is fine, the balancer must not kill it.
  assert.equal((await health("/healthz")).code, 200);
  await until("/readyz to be ready again", async () => ((await health("/readyz")).code === 200 ? true : undefined));
  // And pushes flow again through the new LISTEN connection.
  const alice = await h.user(h.plainRealm, "alice");
  const bob = await h.user(h.plainRealm, "bob");
  const got = new Promise<string>((r) => alice.client.on("receiveimessage", (x) => r(x.text)));
  assert.equal((await bob.client.request("sendimessage", [alice.userId, "laptop", "after reconnect"])).status, "OK");
  assert.match(await got, /after reconnect/);
});

test("drain: readyz 503 draining, the request in flight is answered, clients get `shutdown`, rows removed", async () => {
  const carol = await h.user(h.plainRealm, "carol");
  const shutdown = new Promise<string>((r) => carol.client.on("shutdown", (x) => r(x.text)));
  const presences = async () =>
    Number(
      (await h.db.pool.query(`SELECT count(*) FROM presences WHERE "instanceId" = $1`, [h.daemon.instanceId])).rows[0]
        .count,
    );
  assert.ok((await presences()) >= 1);
  // searchusers reads users: the lock keeps it in flight while the drain begins.
  const holder = await h.db.pool.connect();
  let stopped: Promise<void> | undefined;
  try {
    await holder.query("BEGIN");
    await holder.query("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
    const inFlight = carol.client.request("searchusers", ["a"]);
    await until("searchusers to be waiting on the lock", async () => {
      const r = await h.db.pool.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
      );
      return r.rowCount ? true : undefined;
    });
    stopped = h.daemon.stop();
    const r = await health("/readyz");
    assert.equal(r.code, 503);
    assert.deepEqual(r.body.reasons, ["draining"]);
    assert.deepEqual([(await health("/healthz")).body.status], ["draining"]);
    // No new clients while draining.
    await assert.rejects(h.connect(h.plainRealm, { timeoutMs: 2_000 }));
    assert.match(await shutdown, /shutting down/);
    await holder.query("COMMIT");
    const reply = await inFlight;
    assert.equal(reply.status, "OK", "the request received before the drain is answered");
    assert.match(reply.text, /alice/);
  } finally {
    holder.release();
  }
  await stopped;
  const rows = await h.db.pool.query(`SELECT id FROM daemon_instances WHERE id = $1`, [h.daemon.instanceId]);
  assert.equal(rows.rowCount, 0, "instance row removed");
  assert.equal(await presences(), 0, "presences removed");
});
