// Issue #13, quota leaks: a message's metadata is charged (per message + per recipient entry),
// a user holds at most the realm's number of unsent messages, unsent messages whose every
// recipient vanished and crash leftovers are released, and the usage recomputation cannot
// overwrite a concurrent charge. Real TLS sockets, real daemon, real PostgreSQL.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { OpenGrooveError } from "../../client/sdk/index.ts";
import { MESSAGE_OVERHEAD, messageOverheadBytes } from "../../lib/domain/quota-rule.ts";
import { recomputeUsage } from "../../lib/domain/quota.ts";
import { releaseStaleUnsent } from "../../lib/domain/messages.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

const status = (e: unknown) => (e instanceof OpenGrooveError ? e.status : String(e));
function tally(results: PromiseSettledResult<unknown>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const k = r.status === "fulfilled" ? "OK" : status(r.reason);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
async function used(username: string): Promise<bigint> {
  const r = await h.db.pool.query<{ b: string }>(`SELECT "bytesUsed"::text AS b FROM users WHERE username = $1`, [
    username,
  ]);
  return BigInt(r.rows[0].b);
}

test("empty messages are not free: each costs the documented overhead, released with the message", async () => {
  const s = await h.user(h.plainRealm, "ovsender");
  const r = await h.user(h.plainRealm, "ovreader");
  const one = messageOverheadBytes(1);
  assert.equal(one, BigInt(MESSAGE_OVERHEAD.perMessageBytes + MESSAGE_OVERHEAD.perRecipientBytes));
  // postmessage (one step) and createmessage (three steps) charge the same overhead.
  const a = await s.client.send(s.userId, [r.userId], Buffer.alloc(0));
  assert.equal(await used("ovsender"), one);
  const b = s.client.newMessageId(s.userId);
  await s.client.createMessage(b, [r.userId]);
  assert.equal(await used("ovsender"), 2n * one, "charged at createmessage, before any data");
  await s.client.writeMessageData(b, 0, Buffer.alloc(100, 7));
  await s.client.sendMessage(b);
  assert.equal(await used("ovsender"), 2n * one + 100n);
  assert.equal((await s.client.quotas()).messages, 2n * one + 100n);
  await r.client.deleteMessage(a);
  await r.client.deleteMessage(b);
  assert.equal(await used("ovsender"), 0n, "data and overhead released when the last copy goes");
  assert.deepEqual(await recomputeUsage(h.db.pool, h.plainRealm), [], "recompute agrees, overhead included");
});

test("1,000 empty messages in parallel stop exactly at the quota (overhead × count), on every path", async () => {
  const s = await h.user(h.plainRealm, "flooder");
  const r = await h.user(h.plainRealm, "floodee");
  const one = messageOverheadBytes(1);
  // Room for exactly 37 empty messages.
  await h.db.pool.query(`UPDATE users SET "quotaBytes" = $2 WHERE username = $1`, ["flooder", (one * 37n).toString()]);
  // 20 connections × 50 requests pipelined (under the 64 in flight per connection).
  // A long reply timeout: on a loaded machine 500 creates serialised on one user row take a while.
  const conns = await Promise.all(Array.from({ length: 20 }, () => h.connect(h.plainRealm, { timeoutMs: 180_000 })));
  // One at a time: parallel logins of one account would fill its login-attempt bucket.
  for (const c of conns) await c.authenticate("flooder", "laptop", s.password);
  const results = await Promise.allSettled(
    Array.from({ length: 1000 }, (_, i) => {
      const c = conns[i % conns.length];
      const id = c.newMessageId(s.userId);
      // Half postmessage, half createmessage (left unsent, under the realm's unsent cap of 100).
      return i % 2 ? c.post(id, [r.userId], Buffer.alloc(0)) : c.createMessage(id, [r.userId]);
    }),
  );
  assert.deepEqual(tally(results), { OK: 37, QUOTAEXCEEDED: 963 });
  assert.equal(await used("flooder"), one * 37n);
  const n = await h.db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM messages m JOIN users u ON u.id = m."senderUserId" WHERE u.username = 'flooder'`,
  );
  assert.equal(n.rows[0].n, 37);
  assert.deepEqual(await recomputeUsage(h.db.pool, h.plainRealm), []);
});

test("a user holds at most the realm's number of unsent messages, under parallel creates", async () => {
  await h.db.pool.query(`UPDATE realms SET "maxUnsentMessagesPerUser" = 10 WHERE id = $1`, [h.plainRealm]);
  try {
    const s = await h.user(h.plainRealm, "hoarder");
    const r = await h.user(h.plainRealm, "hoardee");
    const conns = await Promise.all(Array.from({ length: 6 }, () => h.connect(h.plainRealm)));
    for (const c of conns) await c.authenticate("hoarder", "laptop", s.password);
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => conns[i % 6].createMessage(conns[i % 6].newMessageId(s.userId), [r.userId])),
    );
    assert.deepEqual(tally(results), { OK: 10, QUOTAEXCEEDED: 50 });
    const refused = results.find((x) => x.status === "rejected") as PromiseRejectedResult;
    assert.match((refused.reason as Error).message, /10 unsent messages, this realm's limit \(10\)/);
    const unsent = await h.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM messages m JOIN users u ON u.id = m."senderUserId" WHERE u.username = 'hoarder' AND m."sentAt" IS NULL`,
    );
    assert.equal(unsent.rows[0].n, 10);
    assert.equal(await used("hoarder"), 10n * messageOverheadBytes(1), "refused creates charged nothing");
    // Sealing one frees a place; postmessage (sealed at once) is never counted.
    const [first] = await s.client.outbox();
    await s.client.sendMessage(first);
    await s.client.createMessage(s.client.newMessageId(s.userId), [r.userId]);
    await s.client.post(s.client.newMessageId(s.userId), [r.userId], Buffer.from("hi"));
    await assert.rejects(
      s.client.createMessage(s.client.newMessageId(s.userId), [r.userId]),
      (e: OpenGrooveError) => e.status === "QUOTAEXCEEDED",
    );
  } finally {
    await h.db.pool.query(`UPDATE realms SET "maxUnsentMessagesPerUser" = 100 WHERE id = $1`, [h.plainRealm]);
  }
});

test("an unsent message whose last recipient computer is deleted is released at once, not sealed to nobody", async () => {
  const s = await h.user(h.plainRealm, "vsender");
  const r = await h.user(h.plainRealm, "vreader");
  await r.client.createComputer("pc2");
  const id = s.client.newMessageId(s.userId);
  await s.client.createMessage(id, [{ userId: r.userId, computer: "pc2" }]);
  await s.client.writeMessageData(id, 0, Buffer.alloc(5000, 1));
  assert.equal(await used("vsender"), 5000n + messageOverheadBytes(1));
  await r.client.deleteComputer("pc2");
  assert.equal(await used("vsender"), 0n, "released when the computer went");
  await assert.rejects(s.client.sendMessage(id), (e: OpenGrooveError) => e.status === "NOSUCHMESSAGE");
  // One of two recipients gone: the message stays for the other.
  await r.client.createComputer("pc3");
  const kept = s.client.newMessageId(s.userId);
  await s.client.createMessage(kept, [
    { userId: r.userId, computer: "pc3" },
    { userId: r.userId, computer: "laptop" },
  ]);
  await r.client.deleteComputer("pc3");
  await s.client.sendMessage(kept);
  assert.deepEqual(await r.client.inbox(), [kept]);
  assert.equal(await used("vsender"), messageOverheadBytes(2));
});

test("sealing a message whose recipients all vanished (the race) discards it and says so", async () => {
  const s = await h.user(h.plainRealm, "rsender");
  const r = await h.user(h.plainRealm, "rreader");
  const id = s.client.newMessageId(s.userId);
  await s.client.createMessage(id, [r.userId]);
  await s.client.writeMessageData(id, 0, Buffer.alloc(300, 1));
  // The entry vanishes without going through deleteComputer (a concurrent deletion that
  // committed between the sender's checks): the seal must not answer OK recipients=0.
  await h.db.pool.query(
    `DELETE FROM message_recipients WHERE "messageId" = (SELECT id FROM messages WHERE "messageId" = $1)`,
    [id],
  );
  await assert.rejects(
    s.client.sendMessage(id),
    (e: OpenGrooveError) => e.status === "NOSUCHCOMPUTER" && /was deleted before it was sent/.test(e.message),
  );
  assert.equal(await used("rsender"), 0n);
});

test("a deleted recipient account releases the unsent messages addressed only to it", async () => {
  const { deleteAccount } = await import("../../lib/domain/account-deletion.ts");
  const s = await h.user(h.plainRealm, "asender");
  const r = await h.user(h.plainRealm, "areader");
  const id = s.client.newMessageId(s.userId);
  await s.client.createMessage(id, [r.userId]);
  await s.client.writeMessageData(id, 0, Buffer.alloc(4000, 1));
  const rid = await h.db.pool.query<{ id: string }>(`SELECT id FROM users WHERE username = 'areader'`);
  await deleteAccount(h.db.pool, rid.rows[0].id, { id: null, label: "user:areader" });
  assert.equal(await used("asender"), 0n);
});

test("crash leftovers: unsent messages older than the limit are released by the sweep, newer ones kept", async () => {
  const s = await h.user(h.plainRealm, "csender");
  const r = await h.user(h.plainRealm, "creader");
  const old = s.client.newMessageId(s.userId);
  const fresh = s.client.newMessageId(s.userId);
  const sent = s.client.newMessageId(s.userId);
  for (const id of [old, fresh, sent]) {
    await s.client.createMessage(id, [r.userId]);
    await s.client.writeMessageData(id, 0, Buffer.alloc(1000, 2));
  }
  await s.client.sendMessage(sent);
  await h.db.pool.query(
    `UPDATE messages SET "createdAt" = now() - interval '25 hours' WHERE "messageId" = ANY($1::text[])`,
    [[old, sent]],
  );
  const before = await used("csender");
  assert.equal(await releaseStaleUnsent(h.db.pool, h.daemon.config.limits.unsentMaxAgeMs), 1);
  assert.equal(await used("csender"), before - 1000n - messageOverheadBytes(1));
  await assert.rejects(s.client.writeMessageData(old, 0, Buffer.from("x")), (e: OpenGrooveError) =>
    ["NOSUCHMESSAGE"].includes(e.status),
  );
  await s.client.sendMessage(fresh);
  assert.deepEqual((await r.client.inbox()).sort(), [fresh, sent].sort(), "sealed messages are never swept");
  assert.equal(await releaseStaleUnsent(h.db.pool, h.daemon.config.limits.unsentMaxAgeMs), 0);
});
