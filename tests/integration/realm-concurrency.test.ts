// Caps and quotas under concurrency, over real sockets and a real PostgreSQL.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { RealmClient, OpenGrooveError } from "../../client/sdk/index.ts";
import { messageOverheadBytes } from "../../lib/domain/quota-rule.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness({ maxConnectionsPerIp: 500, registrationsPerIp: 1000 });
});
after(async () => h.stop());

async function parallelWriters(username: string, CHUNK: number): Promise<void> {
  const QUOTA = 1_000_000;
  const owner = await h.user(h.plainRealm, username);
  await h.db.pool.query(`UPDATE users SET "quotaBytes" = $1 WHERE username = $2`, [QUOTA, username]);
  const clients: RealmClient[] = [];
  for (let i = 0; i < 50; i++) {
    const c = await h.connect(h.plainRealm);
    await c.authenticate(username, "laptop", owner.password);
    clients.push(c);
  }
  const results = await Promise.all(
    clients.map(async (c) => {
      const id = c.newMessageId(owner.userId);
      await c.createMessage(id, [owner.userId]);
      let stored = 0;
      let refused = 0;
      for (let k = 0; k < 3; k++) {
        try {
          await c.writeMessageData(id, k * CHUNK, Buffer.alloc(CHUNK, k));
          stored += CHUNK;
        } catch (e) {
          assert.ok(e instanceof OpenGrooveError && e.status === "QUOTAEXCEEDED", String(e));
          refused++;
        }
      }
      return { stored, refused };
    }),
  );
  const stored = results.reduce((a, r) => a + r.stored, 0);
  const refused = results.reduce((a, r) => a + r.refused, 0);
  // Each of the 50 messages was charged its overhead at createmessage (quota-rule.ts).
  const overhead = 50 * Number(messageOverheadBytes(1));
  assert.ok(refused > 0, "some writes must have been refused");
  assert.ok(stored + overhead <= QUOTA, `stored ${stored} + overhead ${overhead} > quota ${QUOTA}`);
  assert.ok(QUOTA - overhead - stored < CHUNK, "the quota is used up to within one chunk");
  const counter = await h.db.pool.query<{ bytesUsed: bigint; messageBytes: bigint }>(
    `SELECT "bytesUsed", "messageBytes" FROM users WHERE username = $1`,
    [username],
  );
  assert.equal(
    BigInt(counter.rows[0].bytesUsed),
    BigInt(stored + overhead),
    "the counter equals the bytes acknowledged plus the overhead",
  );
  const actual = await h.db.pool.query<{ n: string }>(
    `SELECT COALESCE(sum(size), 0)::text AS n FROM messages m JOIN users u ON u.id = m."senderUserId" WHERE u.username = $1`,
    [username],
  );
  assert.equal(actual.rows[0].n, String(stored), "stored sizes equal the bytes acknowledged");
  const data = await h.db.pool.query<{ n: string }>(
    `SELECT COALESCE(sum(octet_length(b.data)), 0)::text AS n FROM message_blocks b JOIN messages m ON m.id = b."messageId" JOIN users u ON u.id = m."senderUserId" WHERE u.username = $1`,
    [username],
  );
  assert.equal(data.rows[0].n, String(stored), "no partial write was stored");
}

test("50 parallel writers on one account never exceed its quota by a single byte (unaligned chunks)", async () => {
  // 9,973 bytes is prime, so the quota is never hit exactly: 1.5 MB asked for, 1 MB allowed.
  await parallelWriters("writer", 9_973);
});

test("50 parallel writers never exceed the quota (block-aligned appends, the one-statement path)", async () => {
  // 64 KiB at offsets 0, 64 Ki, 128 Ki: every write is a whole-block append (9.8 MB asked for, 1 MB allowed).
  await parallelWriters("appender", 65_536);
});

test("parallel registrations never exceed the realm's user cap", async () => {
  await h.db.pool.query(`UPDATE realms SET "userCap" = "userCount" + 7 WHERE id = $1`, [h.plainRealm]);
  const before = await h.db.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM users WHERE "realmId" = $1`, [
    h.plainRealm,
  ]);
  const attempts = await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      const c = await h.connect(h.plainRealm);
      try {
        return (await c.register({ username: `racer${i}`, password: `a long password ${i}` })).status;
      } catch (e) {
        return (e as OpenGrooveError).status;
      } finally {
        c.close();
      }
    }),
  );
  assert.equal(attempts.filter((s) => s === "OK").length, 7);
  assert.equal(attempts.filter((s) => s === "REALMFULL").length, 33);
  const afterCount = await h.db.pool.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM users WHERE "realmId" = $1`,
    [h.plainRealm],
  );
  assert.equal(Number(afterCount.rows[0].n) - Number(before.rows[0].n), 7);
  const realm = await h.db.pool.query<{ userCount: number; userCap: number }>(
    `SELECT "userCount", "userCap" FROM realms WHERE id = $1`,
    [h.plainRealm],
  );
  assert.equal(realm.rows[0].userCount, realm.rows[0].userCap);
});

test("registrations from one address are throttled", async () => {
  const t = await startRealmHarness({ registrationsPerIp: 3 });
  try {
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await t.connect(t.plainRealm);
      const r = await c.request("registeraccount", Buffer.from(`username=throttled${i}&password=a+long+password+${i}`));
      statuses.push(r.status);
    }
    assert.deepEqual(statuses, ["OK", "OK", "OK", "RATELIMITED", "RATELIMITED"]);
  } finally {
    await t.stop();
  }
});

test("registration follows the realm's mode: captcha realm answers CONTINUE with a signup URL, invite realm needs a code", async () => {
  const c = await h.connect(h.openRealm);
  const r = await c.register({ username: "someone", password: "a long password 1" });
  assert.equal(r.status, "CONTINUE");
  assert.ok(r.status === "CONTINUE" && r.url.startsWith("http://web.test/signup/opengroove?ticket="));
  const inv = await h.connect(h.inviteRealm);
  await assert.rejects(
    inv.register({ username: "someone", password: "a long password 1" }),
    (e: OpenGrooveError) => e.status === "BADINVITE",
  );
  await assert.rejects(
    inv.register({ username: "someone", password: "a long password 1", invite: "made-up" }),
    (e: OpenGrooveError) => e.status === "BADINVITE",
  );
});

test("recipients deleting at the same moment free every message exactly once", async () => {
  await h.db.pool.query(`UPDATE realms SET "userCap" = "userCount" + 10 WHERE id = $1`, [h.plainRealm]);
  const sender = await h.user(h.plainRealm, "fanout");
  const readers = await Promise.all([0, 1, 2, 3, 4].map((i) => h.user(h.plainRealm, `reader${i}`)));
  const ids: string[] = [];
  for (let k = 0; k < 30; k++)
    ids.push(
      await sender.client.send(
        sender.userId,
        readers.map((r) => r.userId),
        Buffer.alloc(1000 + k, k),
      ),
    );
  const expected = ids.reduce((a, _, k) => a + 1000 + k, 0) + ids.length * Number(messageOverheadBytes(5));
  assert.equal((await sender.client.quotas()).messages, BigInt(expected));
  const released = (
    await Promise.all(readers.map((r) => Promise.all(ids.map((id) => r.client.deleteMessage(id)))))
  ).flat();
  assert.equal(
    released.reduce((a, b) => a + b, 0n),
    BigInt(expected),
    "each message's bytes released once, by its last recipient",
  );
  assert.equal(released.filter((b) => b > 0n).length, ids.length);
  assert.equal((await sender.client.quotas()).used, 0n);
  const left = await h.db.pool.query(
    `SELECT 1 FROM messages WHERE "senderUserId" = (SELECT id FROM users WHERE username = 'fanout')`,
  );
  assert.equal(left.rowCount, 0);
});
