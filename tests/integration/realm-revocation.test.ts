// Revocations that cannot be missed: with no NOTIFY at all (a change made while the LISTEN
// connection was down), a suspended user or a removed computer is still disconnected, after the
// listener reconnects and by the periodic reconciliation.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";

const harnesses: RealmHarness[] = [];
after(async () => {
  for (const h of harnesses) await h.stop();
});

function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms).unref()),
  ]);
}

test("after the LISTEN connection reconnects, every live session is checked against the database", async () => {
  const h = await startRealmHarness({ reconcileIntervalMs: 3_600_000 });
  harnesses.push(h);
  const carol = await h.user(h.plainRealm, "carol");
  const dave = await h.user(h.plainRealm, "dave", { computer: "desk" });
  const carolBanned = new Promise<string>((r) => carol.client.on("banned", (x) => r(x.text)));
  const daveBanned = new Promise<string>((r) => dave.client.on("banned", (x) => r(x.text)));
  // Changed behind the daemons' backs (no NOTIFY), then the listener's connection is cut.
  await h.db.pool.query(`UPDATE users SET status = 'SUSPENDED' WHERE username = 'carol'`);
  await h.db.pool.query(
    `DELETE FROM computers WHERE name = 'desk' AND "userId" = (SELECT id FROM users WHERE username = 'dave')`,
  );
  const killed = await h.db.pool.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'opengroove-listen' AND datname = current_database()`,
  );
  assert.equal(killed.rowCount, 1);
  assert.match(await within(10_000, carolBanned, "carol banned"), /suspended/);
  assert.match(await within(10_000, daveBanned, "dave banned"), /computer was removed/);
  // Others keep working.
  const erin = await h.user(h.plainRealm, "erin");
  await erin.client.ping();
});

test("the periodic reconciliation ends sessions whose notification never came", async () => {
  const h = await startRealmHarness({ reconcileIntervalMs: 300 });
  harnesses.push(h);
  const frank = await h.user(h.plainRealm, "frank");
  const grace = await h.user(h.plainRealm, "grace");
  const banned = new Promise<string>((r) => frank.client.on("banned", (x) => r(x.text)));
  await h.db.pool.query(`UPDATE users SET "sessionEpoch" = "sessionEpoch" + 1 WHERE username = 'frank'`);
  assert.match(await within(10_000, banned, "frank banned"), /signed out/);
  await grace.client.ping();
});
