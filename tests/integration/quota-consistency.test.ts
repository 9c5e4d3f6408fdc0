// The storage counters are maintained on every write and delete; the consistency check
// recomputes them from the stored data and repairs drift.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { recomputeUsage } from "../../lib/domain/quota.ts";
import { messageOverheadBytes } from "../../lib/domain/quota-rule.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

test("after sends, settings, partial deletes and shrinks, the counters match the data exactly", async () => {
  const a = await h.user(h.plainRealm, "acct");
  const b = await h.user(h.plainRealm, "bcct");
  const ids: string[] = [];
  for (let i = 0; i < 5; i++)
    ids.push(await a.client.send(a.userId, [b.userId], crypto.randomBytes(10_000 + i * 70_001)));
  await a.client.setUserSetting("public-status", "busy");
  await a.client.setUserSetting("theme", "dark".repeat(100));
  await a.client.setUserSetting("theme", "light");
  const unsent = a.client.newMessageId(a.userId);
  await a.client.createMessage(unsent, [b.userId]);
  await a.client.writeMessageData(unsent, 0, Buffer.alloc(200_000));
  await a.client.setMessageSize(unsent, 65_537);
  await b.client.deleteMessage(ids[0]);
  await b.client.deleteMessage(ids[3]);
  // Workspace changes: one held for b, one freed after b acknowledges it.
  const ws = await a.client.workspaces.create("shared");
  await a.client.workspaces.invite(ws, b.userId);
  await b.client.workspaces.accept(ws);
  const first = await a.client.workspaces.publish(ws, crypto.randomBytes(123_457));
  await a.client.workspaces.publish(ws, crypto.randomBytes(33_333));
  await b.client.workspaces.ack(ws, first.seq);
  assert.deepEqual(await recomputeUsage(h.db.pool, h.plainRealm), [], "no drift");
  const q = await a.client.quotas();
  assert.equal(q.workspaces, 33_333n);
  // Four messages held (three sent, one unsent), each with one recipient entry: data + overhead.
  const expectedMessages = [1, 2, 4].reduce((s, i) => s + 10_000 + i * 70_001, 0) + 65_537;
  assert.equal(q.messages, BigInt(expectedMessages) + 4n * messageOverheadBytes(1));
  assert.equal(q.settings, BigInt("public-status".length + 4 + "theme".length + 5));
  assert.equal(q.used, q.messages + q.settings + q.workspaces);

  await h.db.pool.query(`UPDATE users SET "bytesUsed" = 1, "messageBytes" = 1 WHERE username = 'acct'`);
  const drift = await recomputeUsage(h.db.pool, h.plainRealm);
  assert.equal(drift.length, 1);
  assert.equal(drift[0].was, 1n);
  assert.equal(drift[0].now, q.used);
  assert.equal((await a.client.quotas()).used, q.used);
});

test("retention: a message past the realm's retention period is dropped and its bytes released", async () => {
  const { expireMessages } = await import("../../lib/domain/messages.ts");
  const s = await h.user(h.plainRealm, "retainer");
  const r = await h.user(h.plainRealm, "absentee");
  const id = await s.client.send(s.userId, [r.userId], Buffer.alloc(5000, 1));
  const kept = await s.client.send(s.userId, [r.userId], Buffer.alloc(700, 2));
  const overhead = messageOverheadBytes(1);
  assert.equal((await s.client.quotas()).used, 5700n + 2n * overhead);
  await h.db.pool.query(`UPDATE messages SET "expiresAt" = now() - interval '1 second' WHERE "messageId" = $1`, [id]);
  assert.equal(await expireMessages(h.db.pool), 1);
  assert.equal((await s.client.quotas()).used, 700n + overhead);
  assert.deepEqual(await r.client.inbox(), [kept]);
  assert.deepEqual(await recomputeUsage(h.db.pool, h.plainRealm), []);
});

test("recomputeUsage never overwrites a charge that commits while it runs (locks, then one statement)", async () => {
  const a = await h.user(h.plainRealm, "racer");
  const b = await h.user(h.plainRealm, "racee");
  await a.client.send(a.userId, [b.userId], Buffer.alloc(2000, 1));
  // Drift to repair, so the recomputation has something to write.
  await h.db.pool.query(
    `UPDATE users SET "bytesUsed" = "bytesUsed" + 777, "messageBytes" = "messageBytes" + 777 WHERE username = 'racer'`,
  );
  // A send in flight, as every writer does it: the data and the counter change in one
  // transaction, the counter under the user row lock. It commits while the recomputation runs.
  const w = await h.db.pool.connect();
  try {
    await w.query("BEGIN");
    await w.query(
      `INSERT INTO messages ("realmId", "messageId", "senderId", "senderUserId", "senderComputer", size, "sentAt", "expiresAt")
       SELECT $1, $2, $3, id, 'laptop', 5000, now(), now() + interval '1 day' FROM users WHERE username = 'racer'`,
      [h.plainRealm, `${a.userId}-inflight`, a.userId],
    );
    await w.query(
      `UPDATE users SET "bytesUsed" = "bytesUsed" + 5000, "messageBytes" = "messageBytes" + 5000 WHERE username = 'racer'`,
    );
    const running = recomputeUsage(h.db.pool, h.plainRealm);
    await new Promise((r) => setTimeout(r, 300));
    await w.query("COMMIT");
    const drift = await running;
    assert.deepEqual(
      drift.map((d) => d.userId.length > 0 && d.was - d.now),
      [777n],
      "only the planted drift was repaired",
    );
  } finally {
    w.release();
  }
  assert.deepEqual(await recomputeUsage(h.db.pool, h.plainRealm), [], "the in-flight charge was kept");
  assert.equal((await a.client.quotas()).messages, 2000n + 5000n + messageOverheadBytes(1));
});

test("recomputeUsage running over and over during 300 parallel sends and deletes leaves exact counters", async () => {
  const a = await h.user(h.plainRealm, "busybee");
  const b = await h.user(h.plainRealm, "busyreader");
  await h.db.pool.query(
    `UPDATE users SET "bytesUsed" = "bytesUsed" + 12345, "messageBytes" = "messageBytes" + 12345 WHERE username = 'busybee'`,
  );
  const conns: Awaited<ReturnType<typeof h.connect>>[] = [];
  for (let i = 0; i < 6; i++) {
    const c = await h.connect(h.plainRealm, { timeoutMs: 180_000 });
    await c.authenticate("busybee", "laptop", a.password);
    conns.push(c);
  }
  let stop = false;
  let runs = 0;
  const checker = (async () => {
    while (!stop) {
      await recomputeUsage(h.db.pool, h.plainRealm);
      runs++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const ids = await Promise.all(
    Array.from({ length: 300 }, (_, i) => conns[i % conns.length].send(a.userId, [b.userId], Buffer.alloc(100 + i, 3))),
  );
  const gone = await b.client.deleteMessages(ids.filter((_, i) => i % 3 === 0));
  assert.ok(gone.every((g) => g.status === "OK"));
  stop = true;
  await checker;
  assert.ok(runs >= 2, `the recomputation ran during the load (${runs} runs)`);
  assert.deepEqual(await recomputeUsage(h.db.pool, h.plainRealm), []);
  const kept = ids.map((_, i) => i).filter((i) => i % 3 !== 0);
  const expected = kept.reduce((s, i) => s + 100n + BigInt(i) + messageOverheadBytes(1), 0n);
  assert.equal((await a.client.quotas()).messages, expected);
});
