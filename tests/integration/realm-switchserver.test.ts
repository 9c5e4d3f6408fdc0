// switchserver: two realm daemons on one database; the one holding the clients drains while a
// client is writing a large message in chunks and another is reading one. The draining instance
// pushes `switchserver <the peer's address>`; the SDK lets its requests finish, reconnects to that
// address, authenticates again and carries on. Proven by hashes (both bodies arrive whole) and by
// counts (every chunk written and read exactly once, summed over both instances' metrics).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { RealmDaemon } from "../../realm-daemon/daemon.ts";
import { createLogger } from "../../lib/log.ts";
import { CHUNK_BYTES, RealmClient } from "../../client/sdk/index.ts";
import { registerAccount } from "../../lib/domain/registration.ts";
import { parseServerAddress } from "../../client/sdk/following-connection.ts";

let h: RealmHarness;
let peer: RealmDaemon;
before(async () => {
  h = await startRealmHarness({ shutdownGraceMs: 30_000 });
  peer = new RealmDaemon(h.daemon.config, createLogger("realm-peer", process.env.OPENGROOVE_LOG_LEVEL ?? "warn"));
  await peer.start();
});
after(async () => {
  await peer.stop();
  await h.stop();
});

/** OK replies of `command` counted by a daemon's opengroove_packets_total. */
async function okCount(d: RealmDaemon, command: string, status = "OK"): Promise<number> {
  const m = await d.metrics.registry.getSingleMetric("opengroove_packets_total")!.get();
  return m.values
    .filter((v) => v.labels.command === command && v.labels.status === status)
    .reduce((a, v) => a + v.value, 0);
}

const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

test("parseServerAddress reads host:port and [v6]:port, refuses the rest", () => {
  assert.deepEqual(parseServerAddress("127.0.0.1:6000"), { host: "127.0.0.1", port: 6000 });
  assert.deepEqual(parseServerAddress("realm.example:63745\nmore"), { host: "realm.example", port: 63745 });
  assert.deepEqual(parseServerAddress("[::1]:80"), { host: "::1", port: 80 });
  for (const bad of ["", "host", "host:0", "host:70000", ":80", "a b:80", "::1:80"])
    assert.equal(parseServerAddress(bad), undefined, bad);
});

test("metrics: every sample labelled by instance; database-wide figures reported by one instance only", async () => {
  const scrape = async (d: RealmDaemon) => (await fetch(`http://${HOST}:${d.httpPort}/metrics`)).text();
  const [a, b] = await Promise.all([scrape(h.daemon), scrape(peer)]);
  for (const [d, text] of [
    [h.daemon, a],
    [peer, b],
  ] as const) {
    assert.match(text, new RegExp(`process_resident_memory_bytes\\{instance="${d.instanceId}"\\}`));
  }
  const has = (text: string) => /^opengroove_bytes_stored\{/m.test(text);
  // The oldest live instance (the harness's, started first) reports them; the peer does not.
  assert.deepEqual([has(a), has(b)], [true, false]);
});

test("switchserver mid-transfer: the writer and the reader finish on the peer, nothing lost or repeated", async () => {
  const realm = h.plainRealm;
  const peerPort = peer.listeners.actualPort(peer.realmById(realm)!.port)!;
  await h.db.pool.query(`UPDATE realms SET "defaultQuotaBytes" = $2 WHERE id = $1`, [realm, String(1 << 30)]);
  const alice = await h.user(realm, "alice");
  const bob = await h.user(realm, "bob");
  const writer = await h.connect(realm);
  await writer.authenticate("alice", "laptop", alice.password);
  const reader = await h.connect(realm);
  await reader.authenticate("bob", "laptop", bob.password);
  const told: string[] = [];
  for (const c of [writer, reader]) c.on("switchserver", (r) => told.push(r.text));

  // The message bob reads during the switch, stored before it.
  const first = crypto.randomBytes(256 * CHUNK_BYTES + 1234);
  const firstId = await alice.client.send(alice.userId, [bob.userId], first);
  // The message alice writes during the switch.
  const second = crypto.randomBytes(64 * CHUNK_BYTES + 777);
  const chunksOf = (b: Buffer) => Math.ceil(b.length / CHUNK_BYTES);

  const before = {
    writes: (await okCount(h.daemon, "writemessagedata")) + (await okCount(peer, "writemessagedata")),
    reads: (await okCount(h.daemon, "readmessagedata")) + (await okCount(peer, "readmessagedata")),
  };
  let writeProgress = 0;
  let readProgress = 0;
  let stopping: Promise<void> | undefined;
  let progressAtStop = { write: 0, read: 0 };
  const maybeStop = () => {
    // Drain the instance holding both clients once both transfers are well under way.
    if (stopping || writeProgress < second.length / 4 || readProgress === 0) return;
    progressAtStop = { write: writeProgress, read: readProgress };
    stopping = h.daemon.stop();
  };
  const [secondId, readBack] = await Promise.all([
    writer.send(alice.userId, [bob.userId], second, (done) => {
      writeProgress = done;
      maybeStop();
    }),
    reader.read(firstId, (done) => {
      readProgress = done;
      maybeStop();
    }),
  ]);
  assert.ok(stopping, "the drain began during the transfers");
  await stopping;
  assert.ok(progressAtStop.write < second.length && progressAtStop.read < first.length, "both were mid-transfer");

  // Both were told to move to the peer, and moved once.
  assert.deepEqual(told, [`${HOST}:${peerPort}`, `${HOST}:${peerPort}`]);
  assert.deepEqual([writer.moves, reader.moves], [1, 1]);
  assert.equal(h.daemon.connections.size, 0);
  const onPeer = await h.db.pool.query(
    `SELECT count(*)::int AS n FROM presences WHERE "instanceId" = $1 AND "userId" IN (SELECT id FROM users WHERE username IN ('alice', 'bob'))`,
    [peer.instanceId],
  );
  // Writer, reader and the two clients h.user opened: all four sessions now held by the peer.
  assert.equal(onPeer.rows[0].n, 4, "every session of the drained instance is now held by the peer");

  // Nothing lost: both bodies whole (read through the peer).
  assert.equal(sha(readBack), sha(first));
  assert.equal(sha(await reader.read(secondId)), sha(second));
  // Nothing repeated: each chunk written once and (before the check above) read once, across both instances.
  const after = {
    writes: (await okCount(h.daemon, "writemessagedata")) + (await okCount(peer, "writemessagedata")),
    reads: (await okCount(h.daemon, "readmessagedata")) + (await okCount(peer, "readmessagedata")),
  };
  assert.equal(after.writes - before.writes, chunksOf(second));
  assert.equal(after.reads - before.reads, chunksOf(first) + chunksOf(second));
  // One message each, stored once; the writer's quota charged exactly once.
  assert.deepEqual(await reader.inbox(), [firstId, secondId]);
  const used = await h.db.pool.query(
    `SELECT "bytesUsed"::text AS b FROM users WHERE username = 'alice' AND "realmId" = $1`,
    [realm],
  );
  assert.equal(BigInt(used.rows[0].b), BigInt(first.length + second.length));
  // And the moved sessions still get pushes: a message to bob arrives on the peer.
  const pushed = new Promise<string>((r) => reader.on("messageavailable", (x) => r(x.text)));
  const third = await writer.send(alice.userId, [bob.userId], Buffer.from("after the move"));
  assert.equal(await pushed, third);
});

test("with no live peer the drain sends `shutdown`, and a `reconnect` client comes back when an instance is up", async () => {
  // The first daemon is gone; `peer` is the only instance. A second one starts, then `peer` drains:
  // its client is switched to the new one. Then the new one drains alone: shutdown.
  const realm = h.plainRealm;
  const password = "correct horse battery";
  const u = await registerAccount(h.db.pool, { realmId: realm, username: "carol", password, captchaPassed: true });
  await h.db.pool.query(`INSERT INTO computers (id, "userId", name) VALUES (gen_random_uuid(), $1, 'laptop')`, [u.id]);
  const carol = { userId: `${realm}::carol`, password };
  const port = peer.listeners.actualPort(peer.realmById(realm)!.port)!;
  const c = await RealmClient.connect({ host: HOST, port, realm: "plain", timeoutMs: 20_000, reconnect: true });
  await c.authenticate("carol", "laptop", carol.password);
  const third = new RealmDaemon(h.daemon.config, createLogger("realm-third", "warn"));
  await third.start();
  try {
    const thirdPort = third.listeners.actualPort(third.realmById(realm)!.port)!;
    const moved = new Promise<string>((r) => c.on("switchserver", (x) => r(x.text)));
    await peer.stop();
    assert.equal(await moved, `${HOST}:${thirdPort}`);
    assert.equal((await c.request("getuserstatus", [carol.userId])).status, "OK");
    assert.equal(c.moves, 1);
    const shutdown = new Promise<string>((r) => c.on("shutdown", (x) => r(x.text)));
    await third.stop();
    assert.match(await shutdown, /shutting down/);
  } finally {
    await third.stop();
    c.close();
  }
});
