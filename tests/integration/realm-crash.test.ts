// kill -9 of the realm daemon in the middle of a burst of sends: every message acknowledged
// with OK is served by the restarted daemon, whole.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import path from "node:path";
import { fork, type ChildProcess } from "node:child_process";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { registerAccount } from "../../lib/domain/registration.ts";
import { RealmClient } from "../../client/sdk/index.ts";
import type { ReadyMessage } from "../../lib/runtime/daemon-lifecycle.ts";

const root = path.resolve(import.meta.dirname, "../..");
const REALM = "crash.test:63745";
let db: TestDb;
before(async () => {
  db = await createTestDb();
  await db.prisma.realm.create({
    data: {
      id: REALM,
      host: "crash.test",
      port: 63745,
      slug: "crash",
      name: "Crash",
      registrationMode: "OPEN",
      userCap: 100,
      defaultQuotaBytes: 1n << 30n,
    },
  });
  for (const name of ["sender1", "sender2", "sender3", "reader"]) {
    const u = await registerAccount(db.pool, {
      realmId: REALM,
      username: name,
      password: "crash test password",
      captchaPassed: true,
    });
    await db.pool.query(`INSERT INTO computers (id, "userId", name) VALUES (gen_random_uuid(), $1, 'pc')`, [u.id]);
  }
});
after(async () => db.drop());

function startDaemon(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(root, "realm-daemon/main.ts"), [], {
      execArgv: ["--import", "tsx"],
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        OPENGROOVE_REALM_BIND_HOST: "127.0.0.1",
        OPENGROOVE_REALM_EPHEMERAL_PORTS: "true",
        OPENGROOVE_REALM_HTTP_PORT: "0",
        OPENGROOVE_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    child.once("exit", (code) => reject(new Error(`daemon exited early (${code})`)));
    child.on("message", (m: ReadyMessage) => {
      if (m.type !== "ready") return;
      const port = Number(/:(\d+) \(crash\)/.exec(m.addresses.join(" "))?.[1]);
      child.removeAllListeners("exit");
      resolve({ child, port });
    });
  });
}

async function login(port: number, name: string): Promise<RealmClient> {
  const c = await RealmClient.connect({ host: "127.0.0.1", port, timeoutMs: 10_000 });
  await c.authenticate(name, "pc", "crash test password");
  return c;
}

test("messages acknowledged before a kill -9 survive it", async () => {
  const first = await startDaemon();
  const acked = new Map<string, Buffer>();
  const senders = await Promise.all(["sender1", "sender2", "sender3"].map((n) => login(first.port, n)));
  let killed = false;
  const bursts = senders.map(async (c, i) => {
    const from = `${REALM}::sender${i + 1}`;
    for (let k = 0; k < 400 && !killed; k++) {
      const body = crypto.randomBytes(1000 + ((k * 37) % 5000));
      try {
        const id = await c.send(from, [`${REALM}::reader`], body);
        acked.set(id, body);
      } catch {
        return; // the daemon died mid-request: that message was not acknowledged
      }
    }
  });
  // Kill once a good number of messages are through, while the senders are still going.
  while (acked.size < 60) await new Promise((r) => setTimeout(r, 10));
  first.child.kill("SIGKILL");
  killed = true;
  await Promise.all(bursts);
  for (const c of senders) c.close();
  assert.ok(acked.size >= 60);

  const second = await startDaemon();
  try {
    const reader = await login(second.port, "reader");
    const inbox = new Set(await reader.inbox());
    for (const [id, body] of acked) {
      assert.ok(inbox.has(id), `acknowledged message ${id} is missing after the crash`);
      assert.ok((await reader.read(id)).equals(body), `message ${id} differs`);
    }
    reader.close();
  } finally {
    second.child.kill("SIGTERM");
  }
});
