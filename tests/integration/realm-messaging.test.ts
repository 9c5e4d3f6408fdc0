// Store-and-forward over real TLS sockets against a real realm daemon and PostgreSQL.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { OpenGrooveError } from "../../client/sdk/index.ts";
import { messageOverheadBytes } from "../../lib/domain/quota-rule.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => {
  await h.stop();
});

async function usage(userId: string): Promise<bigint> {
  const r = await h.db.pool.query<{ bytesUsed: bigint }>(
    `SELECT "bytesUsed" FROM users WHERE "realmId" || '::' || username = $1`,
    [userId],
  );
  return BigInt(r.rows[0].bytesUsed);
}

test("server info and greeting over TLS, with the realm's certificate", async () => {
  const c = await h.connect(h.plainRealm);
  const info = await c.serverInfo();
  assert.equal(info.realmid, h.plainRealm);
  assert.equal(info.registration, "open");
  const key = await h.db.pool.query<{ tlsFingerprint: string }>(
    `SELECT "tlsFingerprint" FROM realm_keys WHERE "realmId" = $1`,
    [h.plainRealm],
  );
  assert.equal(c.fingerprint, key.rows[0].tlsFingerprint);
  await assert.rejects(
    h.connect(h.plainRealm, { fingerprint: "00".repeat(32) }),
    (e: OpenGrooveError) => e.status === "BADAUTH",
  );
});

test("a message is held, charged to the sender until every recipient computer deletes it", async () => {
  const alice = await h.user(h.plainRealm, "alice");
  const bob = await h.user(h.plainRealm, "bob", { computer: "desk" });
  await bob.client.createComputer("phone");
  const bobPhone = await h.connect(h.plainRealm);
  await bobPhone.authenticate("bob", "phone", bob.password);

  const notified = new Promise<string>((resolve) => bob.client.on("messageavailable", (r) => resolve(r.text)));
  const body = crypto.randomBytes(150_000);
  const id = await alice.client.send(alice.userId, [bob.userId], body);
  assert.equal(await notified, id);
  // The data plus the message's overhead (one entry per computer of bob: two).
  const charged = 150_000n + messageOverheadBytes(2);
  assert.equal(await usage(alice.userId), charged);
  assert.equal((await alice.client.quotas()).messages, charged);

  assert.deepEqual(await bob.client.inbox(), [id]);
  assert.deepEqual(await bobPhone.inbox(), [id]);
  assert.ok((await bob.client.read(id)).equals(body));
  const info = await bob.client.messageInfo(id);
  assert.equal(info.sender, alice.userId);
  assert.equal(info.pendingRecipients, 2);

  assert.equal(await bob.client.deleteMessage(id), 0n);
  assert.deepEqual(await bob.client.inbox(), []);
  assert.equal(await usage(alice.userId), charged, "still held for bob's phone");
  assert.ok((await bobPhone.read(id)).equals(body));
  assert.equal(await bobPhone.deleteMessage(id), charged);
  assert.equal(await usage(alice.userId), 0n);
  await assert.rejects(bobPhone.messageSize(id), (e: OpenGrooveError) => e.status === "NOSUCHMESSAGE");
});

test("bad input gets status words: ids, recipients, unknown commands, states", async () => {
  const carol = await h.user(h.plainRealm, "carol");
  await assert.rejects(
    carol.client.createMessage("wrong-prefix-1", [carol.userId]),
    (e: OpenGrooveError) => e.status === "INVALIDMESSAGEID",
  );
  await assert.rejects(
    carol.client.createMessage(`${carol.userId}-x`, [`${h.plainRealm}::nobody`]),
    (e: OpenGrooveError) => e.status === "NOSUCHUSER",
  );
  assert.equal((await carol.client.request("frobnicate")).status, "UNKNOWNCOMMAND");
  const anon = await h.connect(h.plainRealm);
  assert.equal((await anon.request("listinboundmessages")).status, "NOTALLOWED");
  assert.equal((await anon.request("authenticate", ["carol", "laptop", "wrong password!"])).status, "BADAUTH");
  assert.equal((await anon.request("authenticate", ["carol"])).status, "BADARGUMENTS");
  await carol.client.ping();
});

test("quota: a write that does not fit is refused whole and nothing is stored", async () => {
  await h.db.pool.query(`UPDATE users SET "quotaBytes" = 100000 WHERE username = 'dave'`);
  const dave = await h.user(h.plainRealm, "dave");
  await h.db.pool.query(`UPDATE users SET "quotaBytes" = 100000 WHERE username = 'dave'`);
  const id = dave.client.newMessageId(dave.userId);
  await dave.client.createMessage(id, [dave.userId]);
  await dave.client.writeMessageData(id, 0, Buffer.alloc(60_000, 1));
  await assert.rejects(
    dave.client.writeMessageData(id, 60_000, Buffer.alloc(50_000, 2)),
    (e: OpenGrooveError) => e.status === "QUOTAEXCEEDED",
  );
  assert.equal(await dave.client.messageSize(id), 60_000);
  assert.equal(await usage(dave.userId), 60_000n + messageOverheadBytes(1));
  const q = await dave.client.quotas();
  assert.equal(q.storage, 100_000n);
});

test("sendmessage with an expected size refuses a message whose data did not all arrive", async () => {
  const erin = await h.user(h.plainRealm, "erin");
  const id = erin.client.newMessageId(erin.userId);
  await erin.client.createMessage(id, [erin.userId]);
  await erin.client.writeMessageData(id, 0, Buffer.from("0123456789"));
  const r = await erin.client.request("sendmessage", [id, "20"]);
  assert.equal(r.status, "FAIL");
  assert.match(r.text, /holds 10 bytes, not the 20 expected/);
  assert.deepEqual(await erin.client.inbox(), [], "not sent");
  assert.equal((await erin.client.request("sendmessage", [id, "10"])).status, "OK");
  assert.deepEqual(await erin.client.inbox(), [id]);
  // A pipelined send over quota leaves nothing behind.
  await h.db.pool.query(`UPDATE users SET "quotaBytes" = 100 WHERE username = 'erin'`);
  await assert.rejects(
    erin.client.send(erin.userId, [erin.userId], Buffer.alloc(1000)),
    (e: OpenGrooveError) => e.status === "QUOTAEXCEEDED" && e.command === "postmessage",
  );
  assert.deepEqual(await erin.client.outbox(), [id]);
});
