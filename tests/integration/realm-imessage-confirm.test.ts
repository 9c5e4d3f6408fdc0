// sendimessage to a computer whose instance died but is not reaped yet (its heartbeat still
// fresh): the message is never taken, so the sender gets NOSUCHCOMPUTER (after the confirm wait)
// instead of an OK for a message nobody will deliver, and the message is withdrawn.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness({ imessageConfirmMs: 500 });
});
after(async () => h.stop());

test("an immediate message to a presence on a dead (not yet reaped) instance answers NOSUCHCOMPUTER", async () => {
  const alice = await h.user(h.plainRealm, "alice");
  const bob = await h.user(h.plainRealm, "bob", { computer: "desk" });
  // A live recipient: OK, and delivered.
  const got = new Promise<string>((r) => bob.client.on("receiveimessage", (x) => r(x.text)));
  assert.equal((await alice.client.request("sendimessage", [bob.userId, "desk", "hello"])).status, "OK");
  assert.match(await got, /hello/);
  // bob's "tablet" is held by an instance that was killed a moment ago: row and heartbeat still fresh.
  const bobId = (await h.db.pool.query(`SELECT id FROM users WHERE username = 'bob'`)).rows[0].id as string;
  await h.db.pool.query(`INSERT INTO computers (id, "userId", name) VALUES (gen_random_uuid(), $1, 'tablet')`, [bobId]);
  await h.db.pool.query(
    `INSERT INTO daemon_instances (id, kind, host, pid) VALUES ('killed-instance', 'realm', 'x', 1)`,
  );
  await h.db.pool.query(
    `INSERT INTO presences ("connectionId", "instanceId", "realmId", "userId", computer) VALUES ('c-dead', 'killed-instance', $1, $2, 'tablet')`,
    [h.plainRealm, bobId],
  );
  const t0 = Date.now();
  const r = await alice.client.request("sendimessage", [bob.userId, "tablet", "into the void"]);
  assert.equal(r.status, "NOSUCHCOMPUTER");
  assert.ok(Date.now() - t0 >= 400, "it waited for the holder to take the message");
  const left = await h.db.pool.query(`SELECT count(*)::int AS n FROM immediate_messages WHERE body = 'into the void'`);
  assert.equal(left.rows[0].n, 0, "the message was withdrawn");
  // Several in parallel to the live computer: every OK was taken by the holder.
  const many = await Promise.all(
    Array.from({ length: 8 }, (_, i) => alice.client.request("sendimessage", [bob.userId, "desk", `m${i}`])),
  );
  assert.deepEqual(
    many.map((x) => x.status),
    Array(8).fill("OK"),
  );
  const taken = await h.db.pool.query(
    `SELECT count(*)::int AS n FROM immediate_messages WHERE body LIKE 'm%' AND "deliveredAt" IS NOT NULL`,
  );
  assert.equal(taken.rows[0].n, 8);
});
