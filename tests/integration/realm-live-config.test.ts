// Several daemon instances on one PostgreSQL, and console changes reaching running daemons
// within a second through LISTEN/NOTIFY, without a restart.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { RealmDaemon } from "../../realm-daemon/daemon.ts";
import { createLogger } from "../../lib/log.ts";
import { notify, CHANNELS } from "../../lib/db/notify.ts";
import { RealmClient, OpenGrooveError } from "../../client/sdk/index.ts";

let h: RealmHarness;
let second: RealmDaemon;
before(async () => {
  h = await startRealmHarness();
  second = new RealmDaemon(h.daemon.config, createLogger("realm-test-2", "warn"));
  await second.start();
});
after(async () => {
  await second.stop();
  await h.stop();
});

function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`${what} did not happen within ${ms} ms`)), ms)),
  ]);
}

test("messageavailable reaches a recipient connected to another daemon instance", async () => {
  const alice = await h.user(h.plainRealm, "alice");
  const bobOnFirst = await h.user(h.plainRealm, "bob");
  const realm = second.realmById(h.plainRealm)!;
  const bob = await RealmClient.connect({ host: HOST, port: second.listeners.actualPort(realm.port)!, realm: "plain" });
  await bob.authenticate("bob", "laptop", bobOnFirst.password);
  const got = new Promise<string>((r) => bob.on("messageavailable", (x) => r(x.text)));
  const id = await alice.client.send(alice.userId, [bobOnFirst.userId], Buffer.from("across instances"));
  assert.equal(await within(1000, got, "messageavailable on the second instance"), id);
  assert.equal((await bob.read(id)).toString(), "across instances");
  bob.close();
});

test("suspending a user in the console drops their sessions on every instance within a second", async () => {
  const carol = await h.user(h.plainRealm, "carol");
  const realm = second.realmById(h.plainRealm)!;
  const carol2 = await RealmClient.connect({
    host: HOST,
    port: second.listeners.actualPort(realm.port)!,
    realm: "plain",
  });
  await carol2.authenticate("carol", "laptop", carol.password);
  const banned1 = new Promise<string>((r) => carol.client.on("banned", (x) => r(x.text)));
  const banned2 = new Promise<string>((r) => carol2.on("banned", (x) => r(x.text)));
  const r = await h.db.pool.query<{ id: string }>(
    `UPDATE users SET status = 'SUSPENDED', "sessionEpoch" = "sessionEpoch" + 1 WHERE username = 'carol' RETURNING id`,
  );
  await notify(h.db.pool, CHANNELS.user, r.rows[0].id);
  assert.match(await within(1000, banned1, "banned on instance 1"), /suspended/);
  assert.match(await within(1000, banned2, "banned on instance 2"), /suspended/);
  const again = await h.connect(h.plainRealm);
  await assert.rejects(
    again.authenticate("carol", "laptop", carol.password),
    (e: OpenGrooveError) => e.status === "UNAUTHORIZED",
  );
});

test("a quota change applies to a connected client at once", async () => {
  const dave = await h.user(h.plainRealm, "dave");
  assert.equal((await dave.client.quotas()).storage, 10n * 1024n * 1024n);
  await h.db.pool.query(`UPDATE users SET "quotaBytes" = 5000 WHERE username = 'dave'`);
  await notify(h.db.pool, CHANNELS.user, "whatever");
  assert.equal((await dave.client.quotas()).storage, 5000n);
  await assert.rejects(
    dave.client.send(dave.userId, [dave.userId], Buffer.alloc(6000)),
    (e: OpenGrooveError) => e.status === "QUOTAEXCEEDED",
  );
});

test("a realm created, then disabled, starts and stops serving within a second on every instance", async () => {
  await h.db.pool.query(
    `INSERT INTO realms (id, host, port, slug, name, "registrationMode", "captchaProvider", "userCap", "defaultQuotaBytes", "updatedAt") VALUES ('new.test:64001', 'new.test', 64001, 'newrealm', 'New', 'OPEN', 'NONE', 5, 1000000, now())`,
  );
  await notify(h.db.pool, CHANNELS.realm, "new.test:64001");
  const deadline = Date.now() + 1000;
  while ((!h.daemon.listeners.actualPort(64001) || !second.listeners.actualPort(64001)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  assert.ok(
    h.daemon.listeners.actualPort(64001) && second.listeners.actualPort(64001),
    "both instances serve the new realm",
  );
  const c = await h.connect("new.test:64001");
  assert.equal((await c.serverInfo()).name, "New");
  const shutdown = new Promise<string>((r) => c.on("shutdown", (x) => r(x.text)));
  await h.db.pool.query(`UPDATE realms SET status = 'DISABLED' WHERE id = 'new.test:64001'`);
  await notify(h.db.pool, CHANNELS.realm, "new.test:64001");
  await within(1000, shutdown, "shutdown notice");
  const deadline2 = Date.now() + 1000;
  while (h.daemon.listeners.actualPort(64001) && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 20));
  assert.equal(h.daemon.listeners.actualPort(64001), undefined);
});

test("key rotation from the console: one new key made by one instance, served at once, the old one kept for the overlap", async () => {
  const { executeCommand } = await import("../../lib/console/command.ts");
  const { rotateRealmKey } = await import("../../lib/console/federation.ts");
  const admin = await h.db.prisma.operator.findUniqueOrThrow({ where: { username: "admin" } });
  const before = await h.connect(h.plainRealm);
  const oldFp = before.fingerprint;
  const r = await executeCommand(
    rotateRealmKey,
    {
      prisma: h.db.prisma,
      actor: { kind: "operator", id: admin.id, username: "admin", role: "ADMIN", realmIds: new Set() },
      ip: null,
    },
    { realmId: h.plainRealm },
  );
  assert.ok(r.ok, JSON.stringify(r));
  let fresh = before;
  const deadline = Date.now() + 2000;
  while (fresh.fingerprint === oldFp && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 50));
    fresh = await h.connect(h.plainRealm);
  }
  assert.notEqual(fresh.fingerprint, oldFp, "new connections get the new certificate");
  await new Promise((res) => setTimeout(res, 300)); // give the second instance its chance to (wrongly) rotate again
  const keys = await h.db.pool.query<{ tlsFingerprint: string; validUntil: Date | null }>(
    `SELECT "tlsFingerprint", "validUntil" FROM realm_keys WHERE "realmId" = $1 ORDER BY "validFrom"`,
    [h.plainRealm],
  );
  assert.equal(keys.rows.length, 2, "exactly one new key, although two daemon instances got the request");
  assert.equal(keys.rows[0].tlsFingerprint, oldFp);
  assert.ok(
    keys.rows[0].validUntil && keys.rows[0].validUntil.getTime() > Date.now() + 23 * 3_600_000,
    "the old key stays valid for the overlap",
  );
  assert.equal(keys.rows[1].validUntil, null);
  const realm = second.realmById(h.plainRealm)!;
  const viaSecond = await RealmClient.connect({
    host: HOST,
    port: second.listeners.actualPort(realm.port)!,
    realm: "plain",
  });
  assert.equal(viaSecond.fingerprint, fresh.fingerprint, "the other instance serves the new key too");
  viaSecond.close();
  before.close();
});
