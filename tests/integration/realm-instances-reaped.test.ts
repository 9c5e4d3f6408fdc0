// An instance whose row a peer reaped while it was alive (its heartbeat came late under load),
// and an instance stopping with commands in flight (issue #18, bug seen in the bench: logins
// failing on presences_instanceId_fkey and on "Cannot use a pool after calling end").
// - A login that finds the row gone puts it back (with the presences of the computers already
//   signed in there, which went by cascade), logs why, and succeeds.
// - The heartbeat does the same when it finds the row gone.
// - A stop with logins in flight: every answer is OK or BUSY (or the connection closes), no
//   error is logged, nothing fails on the missing row or the ended pool, and no row is left.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import pino from "pino";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { registerAccount } from "../../lib/domain/registration.ts";
import { heartbeatInstance } from "../../lib/domain/instances.ts";
import { RealmDaemon } from "../../realm-daemon/daemon.ts";
import { REALM_DEFAULTS, type RealmDaemonConfig } from "../../realm-daemon/config.ts";
import { RealmClient } from "../../client/sdk/index.ts";

const REALM = { id: "reap.test:63745", host: "reap.test", port: 63745, slug: "reap" };
const PASSWORD = "reaped instance passphrase";
const USERS = 12;
let db: TestDb;
const daemons: RealmDaemon[] = [];
const clients: RealmClient[] = [];

before(async () => {
  db = await createTestDb();
  await db.prisma.realm.create({
    data: {
      ...REALM,
      name: "Reap",
      registrationMode: "OPEN",
      captchaProvider: "NONE",
      userCap: 100,
      defaultQuotaBytes: 1n << 20n,
    },
  });
  for (const name of ["alice", "bob", "carol", ...Array.from({ length: USERS }, (_, i) => `load${i}`)]) {
    const u = await registerAccount(db.pool, {
      realmId: REALM.id,
      username: name,
      password: PASSWORD,
      captchaPassed: true,
    });
    await db.pool.query(`INSERT INTO computers (id, "userId", name) VALUES (gen_random_uuid(), $1, 'pc')`, [u.id]);
  }
});
after(async () => {
  for (const c of clients) c.close();
  for (const d of daemons) await d.stop();
  await db.drop();
});

/** A daemon whose log lines are kept as parsed JSON. */
async function startDaemon(limits: Partial<RealmDaemonConfig["limits"]>) {
  const lines: { level: number; msg: string; err?: { message?: string } }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString("utf8").split("\n")) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  const daemon = new RealmDaemon(
    {
      databaseUrl: db.url,
      bindHost: "127.0.0.1",
      httpPort: 0,
      plainTcp: false,
      ephemeralPorts: true,
      webUrl: "http://web.test",
      // Peers of this test are never reaped by age (the reaping is done explicitly below).
      limits: { ...REALM_DEFAULTS, presenceStaleMs: 600_000, ...limits },
    },
    pino({ level: "info" }, sink),
  );
  await daemon.start();
  daemons.push(daemon);
  return { daemon, lines, port: daemon.listeners.actualPort(REALM.port)! };
}

async function connect(port: number): Promise<RealmClient> {
  const c = await RealmClient.connect({ host: "127.0.0.1", port, realm: REALM.slug, timeoutMs: 20_000 });
  clients.push(c);
  return c;
}

/** A peer's heartbeat that sees every other instance as stale (staleMs 0): it reaps them all. */
async function peerReapsEveryone(): Promise<string[]> {
  const { dead } = await heartbeatInstance(db.pool, { id: "peer", kind: "realm", host: "peer", pid: 1 }, 0);
  await db.pool.query(`DELETE FROM daemon_instances WHERE id = 'peer'`);
  return dead;
}

const rowExists = async (id: string) =>
  (await db.pool.query(`SELECT 1 FROM daemon_instances WHERE id = $1`, [id])).rowCount === 1;
const presencesOf = async (id: string) =>
  (
    await db.pool.query<{ username: string }>(
      `SELECT u.username FROM presences p JOIN users u ON u.id = p."userId" WHERE p."instanceId" = $1 ORDER BY 1`,
      [id],
    )
  ).rows.map((r) => r.username);
const errorsIn = (lines: { level: number; msg: string; err?: { message?: string } }[]) =>
  lines.filter((l) => l.level >= 50);

test("a login that finds its instance's row reaped re-registers it (and the presences) and succeeds", async () => {
  // No heartbeat during the test: only the login can notice.
  const { daemon, lines, port } = await startDaemon({ heartbeatMs: 60_000 });
  const alice = await connect(port);
  await alice.authenticate("alice", "pc", PASSWORD);
  assert.deepEqual(await presencesOf(daemon.instanceId), ["alice"]);

  assert.ok((await peerReapsEveryone()).includes(daemon.instanceId));
  assert.equal(await rowExists(daemon.instanceId), false);
  assert.deepEqual(await presencesOf(daemon.instanceId), [], "the reaping took alice's presence with it");

  const bob = await connect(port);
  assert.match(await bob.authenticate("bob", "pc", PASSWORD), /::bob$/);
  assert.equal(await rowExists(daemon.instanceId), true, "the row is back");
  assert.deepEqual(await presencesOf(daemon.instanceId), ["alice", "bob"], "alice is online again too");
  // And immediate messages reach alice again (sendimessage checks her presence).
  const heard = new Promise<string>((r) => alice.on("receiveimessage", (x) => r(x.text)));
  assert.equal((await bob.request("sendimessage", [`${REALM.id}::alice`, "pc", "still here"])).status, "OK");
  assert.match(await heard, /still here/);
  assert.ok(
    lines.some((l) => l.level === 40 && /row gone.*re-registered/.test(l.msg)),
    "the re-registration is logged as a warning",
  );
  assert.deepEqual(errorsIn(lines), []);
  alice.close();
  bob.close();
  await daemon.stop();
});

test("the heartbeat that finds its row reaped re-registers it with the presences", async () => {
  const { daemon, lines, port } = await startDaemon({ heartbeatMs: 100 });
  const carol = await connect(port);
  await carol.authenticate("carol", "pc", PASSWORD);
  await peerReapsEveryone();
  const deadline = Date.now() + 5_000;
  while (!(await rowExists(daemon.instanceId)) || (await presencesOf(daemon.instanceId)).length === 0) {
    assert.ok(Date.now() < deadline, "re-registered by the heartbeat within 5 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(await presencesOf(daemon.instanceId), ["carol"]);
  assert.ok(lines.some((l) => /heartbeat found this instance's row gone/.test(l.msg)));
  assert.deepEqual(errorsIn(lines), []);
  carol.close();
  await daemon.stop();
});

test("a stop with logins in flight answers OK or BUSY, logs no error, and leaves no row", async () => {
  // Short graces cut logins off mid-way (the pool ends under them: BUSY, logged at info); a
  // long one lets every login finish before the row goes and the pool ends.
  const graces = [150, 300, 5_000];
  for (const [round, grace] of graces.entries()) {
    const { daemon, lines, port } = await startDaemon({ heartbeatMs: 100, shutdownGraceMs: grace });
    const conns = await Promise.all(Array.from({ length: USERS }, () => connect(port)));
    const answers = conns.map((c, i) =>
      c.request("authenticate", [`load${i}`, "pc", PASSWORD]).then(
        (r) => r.status as string,
        () => "closed",
      ),
    );
    // The stop begins while the logins (password hashing, then their writes) are running.
    await new Promise((r) => setTimeout(r, 20 + round * 30));
    await daemon.stop();
    const statuses = await Promise.all(answers);
    assert.deepEqual(
      statuses.filter((s) => !["OK", "BUSY", "closed"].includes(s)),
      [],
      `round ${round}: answers ${statuses.join(",")}`,
    );
    assert.deepEqual(
      errorsIn(lines).map((l) => `${l.msg}: ${l.err?.message}`),
      [],
      `round ${round}: no error logged`,
    );
    const pattern = grace > 1_000 ? /presences_instanceId_fkey|after calling end/ : /presences_instanceId_fkey/;
    assert.deepEqual(
      lines.map((l) => JSON.stringify(l)).filter((l) => pattern.test(l)),
      [],
    );
    if (grace > 1_000)
      assert.ok(
        statuses.every((s) => s !== "closed"),
        "every login was answered",
      );
    assert.equal(await rowExists(daemon.instanceId), false);
    assert.deepEqual(await presencesOf(daemon.instanceId), []);
    for (const c of conns) c.close();
  }
});

test("an instance whose request pool is exhausted keeps heartbeating (on its own connection), so no peer sees it dead", async () => {
  const { daemon } = await startDaemon({ heartbeatMs: 100 });
  // Every client of its request pool lent out: a request now would wait for one.
  const held = await Promise.all(Array.from({ length: 20 }, () => daemon.db.pool.connect()));
  try {
    assert.equal(daemon.db.pool.idleCount, 0);
    const age = async () =>
      (
        await db.pool.query<{ ms: number }>(
          `SELECT (extract(epoch FROM now() - "heartbeatAt") * 1000)::float8 AS ms FROM daemon_instances WHERE id = $1`,
          [daemon.instanceId],
        )
      ).rows[0].ms;
    const ages: number[] = [];
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 200));
      ages.push(Math.round(await age()));
    }
    // With the pool's clients all held for 2 s, the heartbeat (every 100 ms) still lands: its
    // age stays far below the 2 s a pool-bound heartbeat would reach.
    assert.ok(Math.max(...ages.slice(2)) < 1_500, `heartbeat ages while the pool is exhausted: ${ages.join(", ")} ms`);
    assert.equal(
      (await db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'opengroove-heartbeat'`))
        .rowCount! >= 1,
      true,
      "the heartbeat's own connection",
    );
  } finally {
    for (const c of held) c.release();
  }
});
