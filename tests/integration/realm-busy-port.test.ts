// A realm created on a port already in use: the daemon logs it, keeps serving the other realms,
// reports it in /readyz ("listenErrors") and binds the port once it is free.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { notify, CHANNELS } from "../../lib/db/notify.ts";
import { realmListenErrors } from "../../lib/domain/listen-errors.ts";

let h: RealmHarness;
before(async () => {
  // A fast heartbeat: the console learns about busy ports through it.
  h = await startRealmHarness({ heartbeatMs: 200 });
});
after(async () => h.stop());

async function readyz(): Promise<{ listenErrors: { port: number; error: string }[] }> {
  const r = await fetch(`http://${HOST}:${h.daemon.httpPort}/readyz`);
  return (await r.json()) as { listenErrors: { port: number; error: string }[] };
}

test("a realm on a busy port does not stop the daemon; it starts once the port is free", async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, HOST, () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  // Bind realm ports as configured from now on, so this realm really meets the busy port.
  (h.daemon.config as { ephemeralPorts: boolean }).ephemeralPorts = false;
  const id = `busy.test:${port}`;
  await h.db.pool.query(
    `INSERT INTO realms (id, host, port, slug, name, "registrationMode", "captchaProvider", "userCap", "defaultQuotaBytes", "updatedAt") VALUES ($1, 'busy.test', $2, 'busy', 'Busy', 'OPEN', 'NONE', 5, 1000000, now())`,
    [id, port],
  );
  await notify(h.db.pool, CHANNELS.realm, id);
  let deadline = Date.now() + 5000;
  while (!(await readyz()).listenErrors.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const errs = (await readyz()).listenErrors;
  assert.equal(errs.length, 1);
  assert.equal(errs[0].port, port);
  assert.match(errs[0].error, /already in use/);
  // The console's dashboard reads it from the instance's heartbeat row.
  const consoleSees = async () => (await realmListenErrors(h.db.pool, 30_000)).get(id) ?? [];
  deadline = Date.now() + 5000;
  while (!(await consoleSees()).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const shown = await consoleSees();
  assert.equal(shown.length, 1);
  assert.equal(shown[0].port, port);
  assert.match(shown[0].error, /already in use/);
  // The other realms still answer.
  const other = await h.connect(h.plainRealm);
  await other.ping();
  other.close();

  await new Promise<void>((r) => blocker.close(() => r()));
  deadline = Date.now() + 8000;
  while (!h.daemon.listeners.actualPort(port) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(h.daemon.listeners.actualPort(port), port);
  assert.deepEqual((await readyz()).listenErrors, []);
  deadline = Date.now() + 5000;
  while ((await consoleSees()).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await consoleSees(), [], "cleared in the console once the port is bound");
  const c = await h.connect(id);
  assert.equal((await c.serverInfo()).name, "Busy");
  c.close();
});
