// The storage counters are maintained on every write and delete; the consistency check
// recomputes them from the stored data and repairs drift.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { recomputeUsage } from "../../lib/domain/quota.ts";

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
  const expectedMessages = [1, 2, 4].reduce((s, i) => s + 10_000 + i * 70_001, 0) + 65_537;
  assert.equal(q.messages, BigInt(expectedMessages));
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
  assert.equal((await s.client.quotas()).used, 5700n);
  await h.db.pool.query(`UPDATE messages SET "expiresAt" = now() - interval '1 second' WHERE "messageId" = $1`, [id]);
  assert.equal(await expireMessages(h.db.pool), 1);
  assert.equal((await s.client.quotas()).used, 700n);
  assert.deepEqual(await r.client.inbox(), [kept]);
  assert.deepEqual(await recomputeUsage(h.db.pool, h.plainRealm), []);
});
