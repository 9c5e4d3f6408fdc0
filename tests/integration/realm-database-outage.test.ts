// PostgreSQL down under a running realm daemon (issue #13): every command that needs the
// database answers BUSY with a clear text ("the database is unavailable ... retry") instead of
// INTERNALERROR, the connection stays open, and once PostgreSQL is back the same connection
// works again. The SDK's call() retries BUSY, so a request made during a short outage succeeds
// once the database is back. A real embedded PostgreSQL of this file's own (the shared test
// server cannot be stopped), stopped and started on the same port and data folder.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres, type EmbeddedPgHandle } from "../../lib/db/embedded-postgres.ts";
import { OpenGrooveError } from "../../client/sdk/index.ts";
import type { RealmHarness } from "../helpers/realm.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "og-outage-"));
fs.chmodSync(dir, 0o755);
let pg: EmbeddedPgHandle | undefined;
let port = 0;
let h: RealmHarness;

async function startPg(): Promise<void> {
  pg = await startEmbeddedPostgres({ dataDir: path.join(dir, "pg"), port });
  port = pg.port;
}

before(async () => {
  await startPg();
  // This file's own server and template (node:test runs each file in its own process).
  process.env.OG_TEST_PG_ADMIN_URL = pg!.url("postgres");
  process.env.OG_TEST_TEMPLATE_DB = "og_outage_template";
  const { startRealmHarness } = await import("../helpers/realm.ts");
  h = await startRealmHarness();
});

after(async () => {
  if (!pg) await startPg();
  await h?.stop();
  await pg?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("while PostgreSQL is down commands answer BUSY with a clear text; the same connection works once it is back", async () => {
  const alice = await h.user(h.plainRealm, "alice");
  const bob = await h.user(h.plainRealm, "bob");
  const c = alice.client;
  assert.equal((await c.request("getquotas")).status, "OK");

  await pg!.stop();
  pg = undefined;
  const id = c.newMessageId(alice.userId);
  for (const [command, args] of [
    ["getquotas", []],
    ["listcomputers", []],
    ["listinboundmessages", []],
    ["getuserstatus", [bob.userId]],
  ] as const) {
    const r = await c.request(command, args);
    assert.equal(r.status, "BUSY", `${command} while the database is down: ${r.status} ${r.text}`);
    assert.match(r.text, /database is unavailable.*retry/);
  }
  // A send (call() retries BUSY about 8 s, then gives up): refused, not half-written; a fresh connection's login is refused the same way.
  await assert.rejects(
    () => c.post(id, [bob.userId], Buffer.from("during the outage")),
    (e: OpenGrooveError) => e.status === "BUSY" && e.retryable,
  );
  const fresh = await h.connect(h.plainRealm, { busyRetries: 0 });
  const login = await fresh.request("authenticate", ["bob", "laptop", bob.password]);
  assert.equal(login.status, "BUSY", `authenticate while the database is down: ${login.text}`);
  assert.ok(!c.raw.closed, "the connection stays open");

  await startPg();
  // The pool reconnects on the next request: the same connection works again.
  const deadline = Date.now() + 20_000;
  let r = await c.request("getquotas");
  while (r.status === "BUSY" && Date.now() < deadline) {
    await new Promise((w) => setTimeout(w, 200));
    r = await c.request("getquotas");
  }
  assert.equal(r.status, "OK", r.text);
  await c.post(id, [bob.userId], Buffer.from("after the outage"));
  assert.deepEqual(await bob.client.inbox(), [id]);
  assert.equal((await fresh.request("authenticate", ["bob", "laptop", bob.password])).status, "OK");
});

test("the SDK's call() retries BUSY: a request made during a short outage succeeds once PostgreSQL is back", async () => {
  const carol = await h.user(h.plainRealm, "carol");
  await pg!.stop();
  pg = undefined;
  const started = Date.now();
  const pending = carol.client.call("getquotas");
  await new Promise((w) => setTimeout(w, 1_500));
  await startPg();
  const r = await pending;
  assert.equal(r.status, "OK");
  assert.ok(Date.now() - started >= 1_500, "it was answered after the restart, not before");
  // With retries off the caller sees the BUSY itself.
  const once = await h.connect(h.plainRealm, { busyRetries: 0 });
  await once.authenticate("carol", "laptop", carol.password);
  await pg!.stop();
  pg = undefined;
  await assert.rejects(
    () => once.call("getquotas"),
    (e: OpenGrooveError) => e.status === "BUSY",
  );
  await startPg();
});
