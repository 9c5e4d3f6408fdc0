// Real realm-daemon processes on one database: SIGTERM with clients connected drains and exits 0
// within the grace time; kill -9 of one of two instances: the survivor releases the dead
// instance's presences as soon as its heartbeat is stale, and sendimessage to them answers
// NOSUCHCOMPUTER instead of OK-and-drop; a drain asked from the console (Instances page command)
// is read with the heartbeat and does the same as SIGTERM.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fork, type ChildProcess } from "node:child_process";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { registerAccount } from "../../lib/domain/registration.ts";
import { RealmClient } from "../../client/sdk/index.ts";
import type { ReadyMessage } from "../../lib/runtime/daemon-lifecycle.ts";
import { executeCommand, type CommandContext } from "../../lib/console/command.ts";
import { drainInstance, listInstances } from "../../lib/console/instances.ts";
import type { Actor } from "../../lib/domain/permissions.ts";

const root = path.resolve(import.meta.dirname, "../..");
const REALM = "scale.test:63745";
const GRACE_MS = 4_000;
const HEARTBEAT_MS = 200;
const STALE_MS = 1_000;
let db: TestDb;
const children: ChildProcess[] = [];

before(async () => {
  db = await createTestDb();
  await db.prisma.realm.create({
    data: {
      id: REALM,
      host: "scale.test",
      port: 63745,
      slug: "scale",
      name: "Scale",
      registrationMode: "OPEN",
      userCap: 100,
      defaultQuotaBytes: 1n << 30n,
    },
  });
  for (const name of ["alice", "bob", "carol", "dave"]) {
    const u = await registerAccount(db.pool, {
      realmId: REALM,
      username: name,
      password: "scale test password",
      captchaPassed: true,
    });
    await db.pool.query(`INSERT INTO computers (id, "userId", name) VALUES (gen_random_uuid(), $1, 'pc')`, [u.id]);
  }
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await db.drop();
});

interface Daemon {
  child: ChildProcess;
  port: number;
  http: number;
  exited: Promise<number | null>;
}

function startDaemon(): Promise<Daemon> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(root, "realm-daemon/main.ts"), [], {
      execArgv: ["--import", "tsx"],
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        OPENGROOVE_REALM_BIND_HOST: "127.0.0.1",
        OPENGROOVE_REALM_EPHEMERAL_PORTS: "true",
        OPENGROOVE_REALM_HTTP_PORT: "0",
        OPENGROOVE_REALM_SHUTDOWN_GRACE_MS: String(GRACE_MS),
        OPENGROOVE_REALM_HEARTBEAT_MS: String(HEARTBEAT_MS),
        OPENGROOVE_REALM_INSTANCE_STALE_MS: String(STALE_MS),
        OPENGROOVE_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    children.push(child);
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const early = (code: number | null) => reject(new Error(`daemon exited early (${code})`));
    child.once("exit", early);
    child.on("message", (m: ReadyMessage) => {
      if (m.type !== "ready") return;
      const all = m.addresses.join(" ");
      const port = Number(/:(\d+) \(scale\)/.exec(all)?.[1]);
      const http = Number(/http(?:\(s\))?:\/\/[^ ]+:(\d+)/.exec(all)?.[1]);
      child.removeListener("exit", early);
      resolve({ child, port, http, exited });
    });
  });
}

async function login(port: number, name: string): Promise<RealmClient> {
  const c = await RealmClient.connect({ host: "127.0.0.1", port, timeoutMs: 10_000 });
  await c.authenticate(name, "pc", "scale test password");
  return c;
}

async function count(sql: string, args: unknown[]): Promise<number> {
  return Number((await db.pool.query<{ n: string }>(sql, args)).rows[0].n);
}

async function instanceOf(username: string): Promise<string> {
  const r = await db.pool.query<{ instanceId: string }>(
    `SELECT p."instanceId" FROM presences p JOIN users u ON u.id = p."userId" WHERE u.username = $1`,
    [username],
  );
  assert.equal(r.rowCount, 1);
  return r.rows[0].instanceId;
}

test("SIGTERM with a client connected: shutdown push, presence and instance rows gone, exit 0 within the grace", async () => {
  const d = await startDaemon();
  const alice = await login(d.port, "alice");
  const instance = await instanceOf("alice");
  const pushed = new Promise<string>((r) => alice.on("shutdown", (x) => r(x.text)));
  const closed = new Promise<void>((r) => alice.onClose(() => r()));
  const t0 = Date.now();
  d.child.kill("SIGTERM");
  const code = await d.exited;
  const took = Date.now() - t0;
  assert.equal(code, 0, "exit code 0");
  assert.ok(took < GRACE_MS, `exited within the grace time (${took} ms of ${GRACE_MS})`);
  assert.match(await pushed, /shutting down/);
  await closed;
  assert.equal(await count(`SELECT count(*) AS n FROM presences WHERE "instanceId" = $1`, [instance]), 0);
  assert.equal(await count(`SELECT count(*) AS n FROM daemon_instances WHERE id = $1`, [instance]), 0);
});

test("kill -9 of one of two instances: its presences are released by the survivor, sendimessage answers NOSUCHCOMPUTER", async () => {
  const [a, b] = await Promise.all([startDaemon(), startDaemon()]);
  const bob = await login(a.port, "bob");
  const carol = await login(b.port, "carol");
  const bobInstance = await instanceOf("bob");
  const got = new Promise<string>((r) => bob.on("receiveimessage", (x) => r(x.text)));
  // Across instances while both are alive.
  assert.equal((await carol.request("sendimessage", [`${REALM}::bob`, "pc", "hello"])).status, "OK");
  assert.match(await got, /hello/);

  a.child.kill("SIGKILL");
  await a.exited;
  bob.close();
  const deadline = Date.now() + 10_000;
  let status = "";
  while (Date.now() < deadline) {
    status = (await carol.request("sendimessage", [`${REALM}::bob`, "pc", "are you there"])).status;
    if (status === "NOSUCHCOMPUTER") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(status, "NOSUCHCOMPUTER");
  // The survivor reaped the dead instance: its row and presences are gone, not left for minutes.
  const reaped = Date.now() + 10_000;
  while (
    Date.now() < reaped &&
    (await count(`SELECT count(*) AS n FROM daemon_instances WHERE id = $1`, [bobInstance]))
  )
    await new Promise((r) => setTimeout(r, 50));
  assert.equal(await count(`SELECT count(*) AS n FROM daemon_instances WHERE id = $1`, [bobInstance]), 0);
  assert.equal(await count(`SELECT count(*) AS n FROM presences WHERE "instanceId" = $1`, [bobInstance]), 0);
  // The survivor itself stays online and ready.
  assert.equal((await fetch(`http://127.0.0.1:${b.http}/readyz`)).status, 200);
  assert.deepEqual(
    (await carol.request("getuserstatus", [`${REALM}::carol`])).lines.filter((l) => l.startsWith("online=")),
    ["online=true"],
  );
  carol.close();
  b.child.kill("SIGTERM");
  assert.equal(await b.exited, 0);
});

test("drain asked from the console: read with the heartbeat, clients told, rows gone, exit 0; refused for non-administrators and twice", async () => {
  const d = await startDaemon();
  const dave = await login(d.port, "dave");
  const instance = await instanceOf("dave");
  const pushed = new Promise<string>((r) => dave.on("shutdown", (x) => r(x.text)));
  const actor = (role: "ADMIN" | "REALM_OPERATOR"): Actor => ({
    kind: "operator",
    id: `op-${role}`,
    username: role.toLowerCase(),
    role,
    realmIds: new Set([REALM]),
  });
  const ctx = (role: "ADMIN" | "REALM_OPERATOR"): CommandContext => ({
    prisma: db.prisma,
    pool: db.pool,
    actor: actor(role),
    ip: "203.0.113.7",
  });
  const operator = await executeCommand(drainInstance, ctx("REALM_OPERATOR"), { instanceId: instance });
  assert.deepEqual(operator, { ok: false, status: 403, error: "Your role does not allow this." });
  assert.equal((await executeCommand(drainInstance, ctx("ADMIN"), { instanceId: "no-such" })).status, 404);
  assert.equal((await executeCommand(drainInstance, ctx("ADMIN"), { instanceId: "" })).status, 400);

  const t0 = Date.now();
  const r = await executeCommand(drainInstance, ctx("ADMIN"), { instanceId: instance });
  assert.equal(r.ok, true, JSON.stringify(r));
  // Shown as draining in the console at once; a second request is refused.
  assert.equal((await listInstances(db.pool)).find((i) => i.id === instance)?.state, "draining");
  const again = await executeCommand(drainInstance, ctx("ADMIN"), { instanceId: instance });
  assert.deepEqual(again.ok ? again : { status: again.status, error: again.error }, {
    status: 409,
    error: "That instance is already draining.",
  });
  const code = await d.exited;
  const took = Date.now() - t0;
  assert.equal(code, 0, "exit code 0, as on SIGTERM");
  assert.ok(took < HEARTBEAT_MS + GRACE_MS, `drained and exited within a heartbeat plus the grace (${took} ms)`);
  assert.match(await pushed, /shutting down/);
  assert.equal(await count(`SELECT count(*) AS n FROM presences WHERE "instanceId" = $1`, [instance]), 0);
  assert.equal(await count(`SELECT count(*) AS n FROM daemon_instances WHERE id = $1`, [instance]), 0);
  const audit = await db.pool.query<{ actorLabel: string; ip: string }>(
    `SELECT "actorLabel", ip FROM audit_log WHERE action = 'instance.drain' AND "targetId" = $1`,
    [instance],
  );
  assert.deepEqual(audit.rows, [{ actorLabel: "operator:admin", ip: "203.0.113.7" }]);
  // A dead (stale) or vanished instance cannot hear a request: refused, nothing written.
  await db.pool.query(
    `INSERT INTO daemon_instances (id, kind, host, pid, "heartbeatAt", "heartbeatMs") VALUES ('old', 'realm', 'h', 1, now() - interval '1 hour', 200)`,
  );
  const stale = await executeCommand(drainInstance, ctx("ADMIN"), { instanceId: "old" });
  assert.equal(stale.ok ? 200 : stale.status, 409);
  assert.equal(await count(`SELECT count(*) AS n FROM daemon_instances WHERE "drainRequestedAt" IS NOT NULL`, []), 0);
  await db.pool.query(`DELETE FROM daemon_instances WHERE id = 'old'`);
});
