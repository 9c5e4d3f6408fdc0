// The real thing: three realm-daemon processes on one database behind a real HAProxy (TCP mode,
// PROXY protocol v2, /readyz health checks), clients connecting only through HAProxy.
// 1. A rolling restart (SIGTERM, wait for exit 0, start again) of all three under send load:
//    every acknowledged message is stored, every client ends up connected (switchserver moves
//    them to a live peer through that peer's HAProxy frontend).
// 2. kill -9 of an instance under load, chosen as the one holding the outbox lease to a peer
//    realm (messages to it flowing): its clients are back within 3 s, the outbox rows waiting at
//    the kill (leased by the dead instance) are delivered to the peer realm by a survivor within
//    5 s (the time is printed), a sendimessage to a computer held by the dead instance is never answered OK (it
//    answers NOSUCHCOMPUTER), and immediate messages cross between instances.
// The peer realm ("far") is an in-process realm daemon with its own database, federated through
// an in-process management server (tests/helpers/federation.ts); the three instances federate
// as configured from the environment (OPENGROOVE_MANAGEMENT_ADDRESS ...), as deployed.
// 0. A WebSocket client through the balanced HTTP/WebSocket frontend (PROXY v2 there too).
// Skipped, saying so, only when haproxy is not installed (CI installs it: .ci/run).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import path from "node:path";
import { fork, type ChildProcess } from "node:child_process";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { registerAccount } from "../../lib/domain/registration.ts";
import { RealmClient } from "../../client/sdk/index.ts";
import { freePort, haproxyBinary, renderConfig, startHaproxy, type Backend, type Haproxy } from "../helpers/haproxy.ts";
import type { ReadyMessage } from "../../lib/runtime/daemon-lifecycle.ts";
import { startManagement, startRealmNode, type ManagementHarness, type RealmNode } from "../helpers/federation.ts";

const root = path.resolve(import.meta.dirname, "../..");
const missing = haproxyBinary() ? undefined : "haproxy is not installed (apt-get install -y haproxy; .ci/run does)";
const LB = "127.0.0.1";
const HOSTS = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];
const PASSWORD = "haproxy test password";
const SENDERS = 6;

let db: TestDb;
let realmId: string;
let management: ManagementHarness;
let far: RealmNode;
let farBob: string;
let enrollment: string;
let lbPort: number;
let lbHttpPort: number;
let haproxy: Haproxy;
const backends: Backend[] = [];
const children = new Map<string, ChildProcess>();
const opened: RealmClient[] = [];
/** Set in after(): load loops of a failed test stop too (the process would not exit). */
let finished = false;

function startInstance(b: Backend): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(root, "realm-daemon/main.ts"), [], {
      execArgv: ["--import", "tsx"],
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        OPENGROOVE_REALM_BIND_HOST: b.host,
        OPENGROOVE_REALM_HTTP_PORT: String(b.httpPort),
        OPENGROOVE_REALM_ADVERTISE_HOST: LB,
        OPENGROOVE_REALM_ADVERTISE_PORTS: `${b.realmPort}=${b.directPort}`,
        OPENGROOVE_REALM_PROXY_PROTOCOL_FROM: "127.0.0.1/32",
        OPENGROOVE_REALM_HTTP_PROXY_PROTOCOL: "true",
        OPENGROOVE_REALM_HEARTBEAT_MS: "250",
        OPENGROOVE_REALM_INSTANCE_STALE_MS: "1000",
        OPENGROOVE_REALM_SHUTDOWN_GRACE_MS: "8000",
        OPENGROOVE_MANAGEMENT_ADDRESS: management.address,
        OPENGROOVE_MANAGEMENT_FINGERPRINT: management.fingerprint,
        OPENGROOVE_ENROLLMENT_TOKEN: enrollment,
        OPENGROOVE_FEDERATION_ADVERTISE_HOST: LB,
        OPENGROOVE_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    child.once("exit", (code) => reject(new Error(`instance ${b.name} exited early (${code})`)));
    child.on("message", (m: ReadyMessage) => {
      if (m.type !== "ready") return;
      child.removeAllListeners("exit");
      children.set(b.name, child);
      resolve(child);
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const allUp = (names: string[]) =>
  until(`HAProxy to see ${names.join(", ")} UP`, async () => {
    const s = await haproxy.status();
    return names.every((n) => s.get(n) === "UP") ? true : undefined;
  });

before(async () => {
  if (missing) return;
  db = await createTestDb();
  const realmPort = await freePort(HOSTS);
  const httpPort = await freePort(HOSTS);
  realmId = `ha.test:${realmPort}`;
  await db.prisma.realm.create({
    data: {
      id: realmId,
      host: "ha.test",
      port: realmPort,
      slug: "ha",
      name: "HA",
      registrationMode: "OPEN",
      captchaProvider: "NONE",
      userCap: 100,
      defaultQuotaBytes: 1n << 30n,
    },
  });
  management = await startManagement();
  far = await startRealmNode("far", management.address, { token: await management.token() });
  await far.waitApproved();
  farBob = (await far.user("bob")).userId;
  enrollment = await management.token(realmId);
  for (const name of [
    ...Array.from({ length: SENDERS }, (_, i) => `sender${i}`),
    "reader",
    "lis0",
    "lis1",
    "lis2",
    "web",
  ]) {
    const u = await registerAccount(db.pool, { realmId, username: name, password: PASSWORD, captchaPassed: true });
    await db.pool.query(`INSERT INTO computers (id, "userId", name) VALUES (gen_random_uuid(), $1, 'pc')`, [u.id]);
  }
  lbPort = await freePort([LB]);
  lbHttpPort = await freePort([LB]);
  const statsPort = await freePort([LB]);
  for (const [i, host] of HOSTS.entries())
    backends.push({ name: `i${i + 1}`, host, realmPort, httpPort, directPort: await freePort([LB]) });
  await Promise.all(backends.map(startInstance));
  haproxy = await startHaproxy(
    renderConfig({ bind: LB, port: lbPort, statsPort, backends, httpPort: lbHttpPort }),
    statsPort,
  );
  await allUp(backends.map((b) => b.name));
  await until(
    "the realm approved by the management server",
    async () =>
      (
        await management.db.pool.query(`SELECT 1 FROM known_realms WHERE "realmId" = $1 AND status = 'APPROVED'`, [
          realmId,
        ])
      ).rowCount
        ? true
        : undefined,
    30_000,
  );
});

after(async () => {
  finished = true;
  for (const c of opened) c.close();
  for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await haproxy?.stop();
  await far?.drop();
  await management?.drop();
  await db?.drop();
});

async function login(name: string, port = lbPort, reconnect = true): Promise<RealmClient> {
  const c = await RealmClient.connect({ host: LB, port, realm: "ha", timeoutMs: 15_000, reconnect });
  opened.push(c);
  await c.authenticate(name, "pc", PASSWORD);
  return c;
}

/** Senders posting small messages to the reader until stopped; OK replies are the acknowledged ids. */
function sendLoad(senders: RealmClient[], readerId: string) {
  const acked: string[] = [];
  const failures: string[] = [];
  let running = true;
  const loops = senders.map(async (c, i) => {
    const from = `${realmId}::sender${i}`;
    while (running && !finished) {
      const id = c.newMessageId(from);
      try {
        await c.post(id, [readerId], crypto.randomBytes(200 + (acked.length % 800)));
        acked.push(id);
      } catch (e) {
        failures.push(`${id}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  return {
    acked,
    failures,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function assertStored(ids: string[]): Promise<void> {
  const r = await db.pool.query<{ n: number }>(
    `SELECT count(DISTINCT "messageId")::int AS n FROM messages WHERE "messageId" = ANY($1) AND "sentAt" IS NOT NULL`,
    [ids],
  );
  assert.equal(r.rows[0].n, ids.length, "every acknowledged message is stored and sent");
}

test(
  "a WebSocket client through HAProxy's balanced HTTP frontend (PROXY v2 to the instances, /readyz checks sending PROXY headers)",
  { skip: missing },
  async () => {
    await until("HAProxy to see the HTTP backends UP", async () => {
      const s = await haproxy.status("realm-http");
      return backends.every((b) => s.get(b.name) === "UP") ? true : undefined;
    });
    const web = await RealmClient.connect({
      host: LB,
      port: lbHttpPort,
      realm: "ha",
      transport: "ws",
      timeoutMs: 15_000,
    });
    opened.push(web);
    await web.authenticate("web", "pc", PASSWORD);
    const me = `${realmId}::web`;
    const id = await web.send(me, [me], Buffer.from("through the balancer"));
    assert.ok((await web.inbox()).includes(id));
    assert.equal((await web.read(id)).toString(), "through the balancer");
    // The instance saw the client's address from the PROXY header and holds its presence.
    const p = await db.pool.query(
      `SELECT 1 FROM presences p JOIN users u ON u.id = p."userId" WHERE u.username = 'web' AND u."realmId" = $1`,
      [realmId],
    );
    assert.equal(p.rowCount, 1);
    web.close();
  },
);

test("rolling restart of three instances behind HAProxy under send load", { skip: missing }, async () => {
  const senders = await Promise.all(Array.from({ length: SENDERS }, (_, i) => login(`sender${i}`)));
  const reader = await login("reader");
  const load = sendLoad(senders, `${realmId}::reader`);
  await new Promise((r) => setTimeout(r, 500));
  for (const b of backends) {
    const child = children.get(b.name)!;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const before = load.acked.length;
    const t0 = Date.now();
    child.kill("SIGTERM");
    assert.equal(await exited, 0, `instance ${b.name} drained and exited 0`);
    assert.ok(Date.now() - t0 < 8_000 + 1_000, "within the shutdown grace");
    await startInstance(b);
    await allUp(backends.map((x) => x.name));
    // The load kept going through the restart.
    await until("more acknowledged sends", async () => (load.acked.length > before + 20 ? true : undefined));
  }
  await load.stop();
  const clients = [...senders, reader];
  // Every client is connected (after switchserver or reconnect) and answers.
  for (const c of clients) assert.equal((await c.request("ping")).status, "OK");
  assert.ok(
    clients.reduce((a, c) => a + c.moves, 0) >= clients.length,
    "every client moved at least once in total (each instance was restarted)",
  );
  assert.ok(load.acked.length > 100, `a real load (${load.acked.length} acknowledged)`);
  await assertStored(load.acked);
  // The reader sees every acknowledged message.
  const inbox = new Set(await reader.inbox());
  assert.deepEqual(
    load.acked.filter((id) => !inbox.has(id)),
    [],
  );
  // The balancer passed the real client address through: presences and sessions exist on all three.
  const instances = await db.pool.query(`SELECT count(*)::int AS n FROM daemon_instances WHERE kind = 'realm'`);
  assert.equal(instances.rows[0].n, 3);
  for (const c of clients) c.close();
});

/** Messages to the peer realm, one at a time from one sender; OK replies are the acknowledged ids. */
function federatedLoad(c: RealmClient, from: string) {
  const acked: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running && !finished) {
      const id = c.newMessageId(from);
      await c.post(id, [farBob], crypto.randomBytes(4096)).then(
        () => acked.push(id),
        () => new Promise((r) => setTimeout(r, 20)),
      );
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    acked,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** The instance of each of our processes, by its row's pid. */
async function backendOf(instanceId: string): Promise<Backend | undefined> {
  const r = await db.pool.query<{ pid: number }>(`SELECT pid FROM daemon_instances WHERE id = $1`, [instanceId]);
  return backends.find((b) => r.rows[0] && children.get(b.name)?.pid === r.rows[0].pid);
}

test(
  "kill -9 of one instance under load: clients back within 3 s, its leased outbox rows delivered by a survivor, no immediate message swallowed",
  { skip: missing },
  async () => {
    const senders = await Promise.all(Array.from({ length: SENDERS }, (_, i) => login(`sender${i}`)));
    const reader = await login("reader");
    // A listener on each instance (through that instance's own HAProxy frontend), not reconnecting.
    const listeners = await Promise.all(backends.map((b, i) => login(`lis${i}`, b.directPort, false)));
    const heardBy = listeners.map((l) => {
      const texts: string[] = [];
      l.on("receiveimessage", (x) => texts.push(x.text));
      return texts;
    });
    // Immediate messages cross instances: the reader reaches the listener on every instance,
    // including the two it is not connected to.
    const readerInstance = (
      await db.pool.query<{ instanceId: string }>(
        `SELECT p."instanceId" FROM presences p JOIN users u ON u.id = p."userId" WHERE u.username = 'reader'`,
      )
    ).rows[0].instanceId;
    const others = [];
    for (const [i, b] of backends.entries()) {
      assert.equal((await reader.request("sendimessage", [`${realmId}::lis${i}`, "pc", `hello ${i}`])).status, "OK");
      if ((await backendOf(readerInstance)) !== b) others.push(i);
    }
    assert.equal(others.length, 2, "two listeners are on other instances than the reader");
    await until("every listener heard its immediate message", async () =>
      heardBy.every((t, i) => t.some((x) => x.includes(`hello ${i}`))) ? true : undefined,
    );

    const load = sendLoad(senders, `${realmId}::reader`);
    const fed = [0, 1].map((i) => federatedLoad(senders[i], `${realmId}::sender${i}`));
    await new Promise((r) => setTimeout(r, 1_000));
    // The victim: the instance holding the outbox lease to the peer realm while rows wait.
    const lease = await until("an instance delivering to the peer realm", async () => {
      const r = await db.pool.query<{ owner: string; waiting: number }>(
        `SELECT t."leaseOwner" AS owner,
                (SELECT count(*) FROM federation_outbox o WHERE o."targetRealmId" = t."targetRealmId"
                    AND o."deliveredAt" IS NULL AND o."failedAt" IS NULL)::int AS waiting
           FROM federation_targets t WHERE t."sourceRealmId" = $1 AND t."targetRealmId" = $2 AND t."leaseOwner" IS NOT NULL`,
        [realmId, far.realmId],
      );
      return r.rows[0]?.waiting ? r.rows[0] : undefined;
    });
    const victimId = lease.owner;
    const victim = (await backendOf(victimId))!;
    assert.ok(victim, "the lease holder is one of our instances");
    const v = backends.indexOf(victim);
    const lisId = `${realmId}::lis${v}`;
    const t0 = Date.now();
    children.get(victim.name)!.kill("SIGKILL");
    // What the dead instance left behind: the lease, and the rows waiting for the peer realm.
    const left = await db.pool.query<{ owner: string | null; ids: string[] }>(
      `SELECT t."leaseOwner" AS owner,
              (SELECT coalesce(array_agg(o.id::text), '{}') FROM federation_outbox o
                WHERE o."targetRealmId" = t."targetRealmId" AND o."deliveredAt" IS NULL AND o."failedAt" IS NULL) AS ids
         FROM federation_targets t WHERE t."sourceRealmId" = $1 AND t."targetRealmId" = $2`,
      [realmId, far.realmId],
    );
    assert.equal(left.rows[0].owner, victimId, "the killed instance held the lease to the peer realm");
    const waiting = left.rows[0].ids;
    assert.ok(waiting.length > 0, "outbox rows were waiting at the kill");

    const onVictim = await db.pool.query<{ username: string }>(
      `SELECT u.username FROM presences p JOIN users u ON u.id = p."userId" WHERE p."instanceId" = $1 AND u.username NOT LIKE 'lis%'`,
      [victimId],
    );
    const victims = new Set(onVictim.rows.map((r) => r.username));
    assert.ok(victims.size > 0, "the victim holds some of the clients");
    // Its clients: each answers a ping again within 3 s.
    const names = [...Array.from({ length: SENDERS }, (_, i) => `sender${i}`), "reader"];
    const clients = [...senders, reader];
    const back = Promise.all(
      clients.map(async (c, i) => {
        if (!victims.has(names[i])) return 0;
        await new Promise((r) => setTimeout(r, 50));
        for (;;) {
          const ok = await c.request("ping").then(
            (r) => r.status === "OK",
            () => false,
          );
          if (ok) return Date.now() - t0;
          await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
    // Its outbox rows: delivered to the peer realm by a survivor.
    const delivered = until(
      "the dead instance's outbox rows delivered",
      async () => {
        const r = await db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM federation_outbox WHERE id = ANY($1::bigint[]) AND "deliveredAt" IS NOT NULL`,
          [waiting],
        );
        return r.rows[0].n === waiting.length ? Date.now() - t0 : undefined;
      },
      20_000,
    ).catch(() => Infinity);
    // Meanwhile: immediate messages to the dead instance's listener are never OK.
    const answers: string[] = [];
    const probeUntil = Date.now() + 2_500;
    while (Date.now() < probeUntil) {
      const r = await reader
        .request("sendimessage", [lisId, "pc", "after"])
        .catch((e: Error) => ({ status: e.message }));
      answers.push(r.status);
    }
    const times = await back;
    const deliveredMs = await delivered;
    if (deliveredMs > 5_000) {
      const rows = await db.pool.query(
        `SELECT id, attempts, "lastError", "nextAttemptAt", "deliveredAt", "createdAt" FROM federation_outbox WHERE id = ANY($1::bigint[])`,
        [waiting],
      );
      const target = await db.pool.query(`SELECT * FROM federation_targets WHERE "sourceRealmId" = $1`, [realmId]);
      console.log(
        `# slow outbox failover (t0 ${new Date(t0).toISOString()}):`,
        JSON.stringify({ rows: rows.rows, target: target.rows }, (_k, v: unknown) =>
          typeof v === "bigint" ? v.toString() : v,
        ),
      );
    }
    // Where the failover time goes: the first row delivered (lease seen free + link opened) and the last.
    const span = await db.pool.query<{ first: number; last: number }>(
      `SELECT (extract(epoch FROM min("deliveredAt")) * 1000)::float8 AS first,
              (extract(epoch FROM max("deliveredAt")) * 1000)::float8 AS last
         FROM federation_outbox WHERE id = ANY($1::bigint[])`,
      [waiting],
    );
    const firstMs = Math.round(span.rows[0].first - t0);
    const lastMs = Math.round(span.rows[0].last - t0);
    console.log(
      `# kill -9: slowest client back after ${Math.max(...times)} ms; ${waiting.length} outbox rows of the dead instance delivered after ${deliveredMs} ms (first at ${firstMs} ms, last at ${lastMs} ms after the kill)`,
    );
    assert.ok(Math.max(...times) <= 3_000, `clients back within 3 s (slowest ${Math.max(...times)} ms)`);
    // The takeover itself (lease seen free at the stale time, the survivor kicked by its heartbeat,
    // first link opened): about 1 s. Then the rows go pipelined (several messages in flight, their
    // three steps written without waiting: realm-daemon/federation/outbox-messages.ts), so the
    // backlog adds little; issue #18's bound for the whole failover is 5 s.
    assert.ok(firstMs <= 3_000, `a survivor took over the dead instance's outbox within 3 s (${firstMs} ms)`);
    assert.ok(deliveredMs <= 5_000, `the dead instance's outbox rows delivered within 5 s (${deliveredMs} ms)`);
    assert.ok(answers.length > 0);
    assert.deepEqual(
      answers.filter((s) => s === "OK"),
      [],
      `no sendimessage to the dead instance answered OK (answers: ${[...new Set(answers)].join(", ")})`,
    );
    assert.ok(answers.includes("NOSUCHCOMPUTER"));
    await new Promise((r) => setTimeout(r, 300));
    await load.stop();
    await Promise.all(fed.map((f) => f.stop()));
    const fedAcked = fed.flatMap((f) => f.acked);
    await assertStored(load.acked);
    // Every acknowledged message to the peer realm arrives there, once.
    await until(
      "every acknowledged message at the peer realm",
      async () => {
        const r = await far.db.pool.query<{ n: number }>(
          `SELECT count(DISTINCT "messageId")::int AS n FROM messages WHERE "messageId" = ANY($1)`,
          [fedAcked],
        );
        return r.rows[0].n === fedAcked.length ? true : undefined;
      },
      30_000,
    );
    assert.ok(fedAcked.length >= 5, `a real federated load (${fedAcked.length} acknowledged)`);
    for (const c of clients) assert.equal((await c.request("ping")).status, "OK");
    for (const c of [...clients, ...listeners]) c.close();
  },
);
