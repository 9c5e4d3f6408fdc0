// Group commit of messages (lib/domain/message-batch.ts): one transaction for many
// connections' postmessage and deletemessage, per-operation results, exact quotas under races,
// paginated inbox, and the push after the commit.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { OpenGrooveError, type RealmClient } from "../../client/sdk/index.ts";
import { runMessageBatch, type MessageOp } from "../../lib/domain/message-batch.ts";
import { recomputeUsage } from "../../lib/domain/quota.ts";
import { messageOverheadBytes } from "../../lib/domain/quota-rule.ts";
import type { Caller } from "../../lib/domain/messages.ts";

/** A message's overhead with one recipient entry (charged with its data). */
const OV = messageOverheadBytes(1);

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness({ maxConnectionsPerIp: 500 });
});
after(async () => h.stop());

async function callerOf(username: string, computer = "laptop"): Promise<Caller> {
  const r = await h.db.pool.query<{ id: string; username: string }>(
    `SELECT id, username FROM users WHERE "realmId" = $1 AND username = $2`,
    [h.plainRealm, username],
  );
  return { realmId: h.plainRealm, userId: r.rows[0].id, fullId: `${h.plainRealm}::${username}`, computer };
}

const used = async (username: string) =>
  BigInt(
    (await h.db.pool.query<{ b: string }>(`SELECT "bytesUsed"::text AS b FROM users WHERE username = $1`, [username]))
      .rows[0].b,
  );

function statusOf(e: unknown): string {
  return e instanceof Error && "code" in e
    ? String((e as { code: string }).code)
    : e instanceof Error
      ? e.message
      : "OK";
}

test("one batch, one transaction: each operation gets its own result and failures change nothing", async () => {
  await h.user(h.plainRealm, "ba_alice");
  const bob = await h.user(h.plainRealm, "ba_bob");
  await h.user(h.plainRealm, "ba_carol");
  await h.db.pool.query(`UPDATE users SET "quotaBytes" = $1 WHERE username = 'ba_carol'`, [String(OV + 100n)]);
  const alice = await callerOf("ba_alice");
  const carol = await callerOf("ba_carol");
  const bobC = await callerOf("ba_bob");
  const body = Buffer.alloc(300, 7);
  const existing = `${alice.fullId}-existing`;
  const toDelete = `${alice.fullId}-to-delete`;
  const first = await runMessageBatch(
    h.daemon.db.pool,
    [existing, toDelete].map((messageId) => ({
      kind: "post" as const,
      caller: alice,
      messageId,
      recipients: [{ recipientId: bob.userId, computer: "" }],
      body,
      retentionDays: 7,
    })),
    "test",
  );
  assert.ok(first.every((x) => !(x instanceof Error)));
  const post = (caller: Caller, id: string, to: string, b = body): MessageOp => ({
    kind: "post",
    caller,
    messageId: `${caller.fullId}-${id}`,
    recipients: [{ recipientId: to, computer: "" }],
    body: b,
    retentionDays: 7,
  });
  const ops: MessageOp[] = [
    post(alice, "ok1", bob.userId),
    post(alice, "nouser", `${h.plainRealm}::nobody`),
    post(carol, "big", bob.userId), // 300 bytes over the 100 carol has beyond one overhead
    post(alice, "ok1", bob.userId), // same id twice in one batch
    { ...post(alice, "x", bob.userId), messageId: existing }, // id already stored
    post(carol, "small", bob.userId, Buffer.alloc(60)),
    { kind: "delete", caller: bobC, messageId: `${alice.fullId}-unknown` },
    { kind: "delete", caller: bobC, messageId: toDelete },
    post(carol, "small2", bob.userId, Buffer.alloc(60)), // 60 + 60 > 100: refused, the first fits
  ];
  const r = await runMessageBatch(h.daemon.db.pool, ops, "test");
  assert.deepEqual(
    r.map((x) => (x instanceof Error ? statusOf(x) : "OK")),
    [
      "OK",
      "NOSUCHUSER",
      "QUOTAEXCEEDED",
      "ALREADYEXISTS",
      "ALREADYEXISTS",
      "OK",
      "NOSUCHMESSAGE",
      "OK",
      "QUOTAEXCEEDED",
    ],
  );
  assert.deepEqual(r[7], { released: 300n + OV }, "bob's delete of the only copy released the sender's bytes");
  assert.equal(await used("ba_alice"), 2n * (300n + OV), "alice: existing and ok1 (to-delete was released)");
  assert.equal(await used("ba_carol"), 60n + OV);
  const inbox = await bob.client.inbox();
  assert.deepEqual(inbox, [existing, `${alice.fullId}-ok1`, `${carol.fullId}-small`]);
  assert.deepEqual(await bob.client.readMessageData(inbox[1], 0, 1000), body);
  assert.deepEqual(await recomputeUsage(h.daemon.db.pool, h.plainRealm), []);
});

test("postmessage races on one account: the quota holds to the byte and every refusal is QUOTAEXCEEDED", async () => {
  const owner = await h.user(h.plainRealm, "ba_racer");
  const target = await h.user(h.plainRealm, "ba_target");
  // Room for exactly ten 1,000-byte messages (data + overhead each).
  await h.db.pool.query(`UPDATE users SET "quotaBytes" = $1 WHERE username = 'ba_racer'`, [String(10n * (1000n + OV))]);
  const clients: RealmClient[] = [];
  for (let i = 0; i < 8; i++) {
    const c = await h.connect(h.plainRealm);
    await c.authenticate("ba_racer", "laptop", owner.password);
    clients.push(c);
  }
  const before = h.daemon.messages.stats.operations;
  const outcomes = (
    await Promise.all(
      clients.map(async (c) => {
        const out: string[] = [];
        for (let k = 0; k < 5; k++)
          out.push(
            await c.send(owner.userId, [target.userId], Buffer.alloc(1000, k)).then(
              () => "OK",
              (e: unknown) => (e instanceof OpenGrooveError ? e.status : String(e)),
            ),
          );
        return out;
      }),
    )
  ).flat();
  assert.equal(outcomes.filter((x) => x === "OK").length, 10, outcomes.join(","));
  assert.equal(outcomes.filter((x) => x === "QUOTAEXCEEDED").length, 30);
  assert.equal(await used("ba_racer"), 10n * (1000n + OV));
  assert.equal(h.daemon.messages.stats.operations - before, 40);
  assert.ok(h.daemon.messages.stats.largestBatch > 1, "concurrent posts shared a commit");
  // Draining with concurrent deletes from every computer frees it all, exactly once.
  assert.equal(await target.client.receiveAll(() => undefined), 10);
  assert.equal(await used("ba_racer"), 0n);
  assert.deepEqual(await recomputeUsage(h.daemon.db.pool, h.plainRealm), []);
});

test("concurrent deletes of one message from several computers release it once; a repeated delete is NOSUCHMESSAGE", async () => {
  const sender = await h.user(h.plainRealm, "ba_sender");
  const multi = await h.user(h.plainRealm, "ba_multi");
  const m = await callerOf("ba_multi");
  for (const comp of ["desk", "phone"])
    await h.db.pool.query(`INSERT INTO computers (id, "userId", name) VALUES (gen_random_uuid(), $1, $2)`, [
      m.userId,
      comp,
    ]);
  const id = await sender.client.send(sender.userId, [multi.userId], Buffer.alloc(5000, 1));
  const conns = await Promise.all(
    ["laptop", "desk", "phone", "laptop"].map(async (comp) => {
      const c = await h.connect(h.plainRealm);
      await c.authenticate("ba_multi", comp, multi.password);
      return c;
    }),
  );
  const r = await Promise.all(
    conns.map((c) =>
      c.deleteMessage(id).then(
        (x) => x.toString(),
        (e: OpenGrooveError) => e.status,
      ),
    ),
  );
  // Three recipient entries (laptop, desk, phone): data + overhead released once.
  assert.deepEqual(
    [...r].sort(),
    ["0", "0", String(5000n + messageOverheadBytes(3)), "NOSUCHMESSAGE"].sort(),
    r.join(","),
  );
  assert.equal(await used("ba_sender"), 0n);
  assert.equal((await h.db.pool.query(`SELECT 1 FROM messages WHERE "messageId" = $1`, [id])).rowCount, 0);
});

test("inbox pages: oldest first, resumable after an id, restarting when that id is gone; pushes arrive once", async () => {
  const s = await h.user(h.plainRealm, "ba_pager");
  const r = await h.user(h.plainRealm, "ba_reader");
  let pushes = 0;
  r.client.on("messageavailable", () => pushes++);
  const ids: string[] = [];
  for (let i = 0; i < 25; i++) ids.push(await s.client.send(s.userId, [r.userId], Buffer.from(`m${i}`)));
  const p1 = await r.client.inboxPage(10);
  assert.deepEqual(p1, ids.slice(0, 10));
  assert.deepEqual(await r.client.inboxPage(10, p1[9]), ids.slice(10, 20));
  await r.client.deleteMessage(p1[9]);
  assert.deepEqual(
    await r.client.inboxPage(3, p1[9]),
    ids.slice(0, 3),
    "a deleted cursor starts again from the oldest",
  );
  assert.deepEqual(
    await r.client.inbox(7),
    ids.filter((x) => x !== p1[9]),
  );
  const bad = await r.client.request("listinboundmessages", ["0x"]);
  assert.equal(bad.status, "BADARGUMENTS");
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(pushes, 25, "one messageavailable per message (local push, not again through NOTIFY)");
});

test("postmessage refuses bad input with status words and stores nothing", async () => {
  const s = await h.user(h.plainRealm, "ba_bad");
  const t = await h.user(h.plainRealm, "ba_badto");
  const raw = (args: Buffer) => s.client.request("postmessage", args).then((x) => x.status);
  assert.equal(await raw(Buffer.from("only-an-id")), "BADARGUMENTS");
  assert.equal(await raw(Buffer.from(`${s.userId}-1\n2\n${t.userId}\n3\nabc`)), "BADARGUMENTS");
  assert.equal(await raw(Buffer.from(`someone-else-1\n1\n${t.userId}\n3\nabc`)), "INVALIDMESSAGEID");
  await assert.rejects(s.client.post(`${s.userId}-big`, [t.userId], Buffer.alloc(65537)), { status: "TOOLARGE" });
  await assert.rejects(s.client.post(`${s.userId}-nobody`, [`${h.plainRealm}::ghost`], Buffer.alloc(10)), {
    status: "NOSUCHUSER",
  });
  assert.deepEqual(await s.client.outbox(), []);
  assert.equal(await used("ba_bad"), 0n);
});

test("deletemessages: one request, one result per id, a bad id does not affect the others", async () => {
  const s = await h.user(h.plainRealm, "ba_multisender");
  const r = await h.user(h.plainRealm, "ba_multireader");
  const a = await s.client.send(s.userId, [r.userId], Buffer.alloc(100, 1));
  const b = await s.client.send(s.userId, [r.userId], Buffer.alloc(200, 2));
  const res = await r.client.deleteMessages([a, `${s.userId}-nope`, b, a]);
  assert.deepEqual(
    res.map((x) => `${x.status} ${x.released}`),
    [`OK ${100n + OV}`, "NOSUCHMESSAGE 0", `OK ${200n + OV}`, "NOSUCHMESSAGE 0"],
  );
  assert.equal(await used("ba_multisender"), 0n);
  assert.equal((await r.client.request("deletemessages", [])).status, "BADARGUMENTS");
});
