// setimessagequota (and listimessagequotas, getlocalimessagequota, getremoteimessagequota): the
// recipient sets per-sender and default immediate-message rates within the operator's ceiling,
// and sendimessage enforces them, also when many connections of one sender send at once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { collect } from "../helpers/events.ts";
import type { OpenGrooveError } from "../../client/sdk/index.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

test("per-sender and default quotas: set, read, list, remove, within the ceiling", async () => {
  const r = await h.user(h.plainRealm, "imqrecv");
  const s = await h.user(h.plainRealm, "imqsend");
  const t = await h.user(h.plainRealm, "imqthird");
  const q = r.client.imessageQuotas;
  // Defaults: the realm's 60 per minute.
  assert.equal(await q.local(s.userId), 60);
  assert.equal(await q.local(""), 60);
  assert.equal(await s.client.imessageQuotas.remote(r.userId), 60);
  assert.deepEqual(await q.list(), []);
  await q.set(s.userId, 2);
  await q.set("", 10);
  assert.equal(await s.client.imessageQuotas.remote(r.userId), 2);
  assert.equal(await t.client.imessageQuotas.remote(r.userId), 10, "the recipient's default");
  assert.deepEqual(await q.list(), [{ userId: s.userId, ratePerMinute: 2 }]);
  // Above the operator's ceiling: refused, naming it; a lower ceiling later caps what was set.
  const over = await r.client.request("setimessagequota", [s.userId, "61"]);
  assert.equal(over.status, "BADARGUMENTS");
  assert.match(over.text, /at most 60/);
  await h.db.pool.query(`UPDATE users SET "imessageRatePerMinute" = 1 WHERE username = 'imqrecv'`);
  assert.equal(await s.client.imessageQuotas.remote(r.userId), 1);
  await h.db.pool.query(`UPDATE users SET "imessageRatePerMinute" = NULL WHERE username = 'imqrecv'`);
  // -1 removes: back to the default.
  await q.set(s.userId, null);
  assert.equal(await s.client.imessageQuotas.remote(r.userId), 10);
  // Bad arguments.
  for (const args of [[s.userId], [s.userId, "lots"], [s.userId, "-2"], [s.userId, "1.5"], [s.userId, "2", "x"]]) {
    const b = await r.client.request("setimessagequota", args);
    assert.equal(b.status, "BADARGUMENTS", JSON.stringify(args));
  }
  assert.equal((await r.client.request("setimessagequota", ["nobody-here", "1"])).status, "NOSUCHUSER");
  assert.equal((await r.client.request("setimessagequota", [r.userId, "1"])).status, "BADARGUMENTS");
  assert.equal((await r.client.request("getremoteimessagequota", [""])).status, "OK");
});

test("a quota of 0 refuses a sender; sendimessage answers RATELIMITED and pushes imessagerejected", async () => {
  const r = await h.user(h.plainRealm, "imqblock");
  const s = await h.user(h.plainRealm, "imqblocked");
  const other = await h.user(h.plainRealm, "imqfree");
  await r.client.imessageQuotas.set(s.userId, 0);
  const rejected = collect(s.client, "imessagerejected");
  await assert.rejects(
    s.client.sendImessage(r.userId, "laptop", "hello?"),
    (e: OpenGrooveError) => e.status === "RATELIMITED",
  );
  await rejected.waitFor(1);
  assert.match(rejected.events[0][2], /rate limit of 0 per minute/);
  await other.client.sendImessage(r.userId, "laptop", "others still get through");
});

test("the per-sender cap holds under concurrent sends from several computers of one sender", async () => {
  const CAP = 3;
  const r = await h.user(h.plainRealm, "imqconc");
  const s = await h.user(h.plainRealm, "imqconcsend");
  await r.client.imessageQuotas.set(s.userId, CAP);
  const got = collect(r.client, "receiveimessage");
  const clients = [s.client];
  for (const name of ["pc2", "pc3", "pc4"]) {
    await s.client.createComputer(name);
    const c = await h.connect(h.plainRealm);
    await c.authenticate("imqconcsend", name, s.password);
    clients.push(c);
  }
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => clients[i % 4].request("sendimessage", [r.userId, "laptop", `m${i}`])),
  );
  const ok = results.filter((x) => x.status === "OK").length;
  assert.equal(ok, CAP, "exactly the cap got through");
  assert.equal(results.filter((x) => x.status === "RATELIMITED").length, 20 - CAP);
  await got.waitFor(CAP);
  assert.equal((await got.settle(300)).length, CAP, "the recipient received exactly the cap");
});
