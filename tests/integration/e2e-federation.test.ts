// End-to-end encryption across realms (issue #16, docs/clients.md §1): a user of realm c1 looks
// up the computer keys of a user of realm c2 through c1 (listcomputers / getusersetting, which c1
// answers by asking c2 with `publickeys` over the real realm-to-realm TLS link), so `send` to a
// remote user is encrypted; the reply is checked against the keys c2 publishes; only public-og-*
// settings cross; a key change on c2 is reported to the c1 sender; an unknown remote user is
// refused by c2's own answer; a realm that cannot be asked is a clear error, not a hang.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { OpenGrooveError, type RealmClient } from "../../client/sdk/index.ts";
import { generateComputerKeys, fingerprint, type ComputerKeys } from "../../client/sdk/crypto/keys-core.ts";
import { KnownKeys, memoryBackend, type KeyChange } from "../../client/sdk/crypto/known-keys.ts";
import { SecureMessaging } from "../../client/sdk/secure-messages.ts";
import { waitFor, type RealmNode } from "../helpers/federation.ts";
import { federationSuite } from "../helpers/federation-suite.ts";

let r1: RealmNode;
let r2: RealmNode;
federationSuite(["k1", "k2"], (realms) => ([r1, r2] = realms));

interface Device {
  client: RealmClient;
  userId: string;
  keys: ComputerKeys;
  sm: SecureMessaging;
}

function secure(client: RealmClient, userId: string, computer: string, keys = generateComputerKeys()): Device {
  const sm = new SecureMessaging(
    client,
    { userId, computer },
    { current: keys, previous: [] },
    new KnownKeys(memoryBackend()),
  );
  return { client, userId, keys, sm };
}

async function allStored(node: RealmNode): Promise<Buffer> {
  const r = await node.db.pool.query<{ data: Buffer }>(`SELECT data FROM message_blocks`);
  return Buffer.concat(r.rows.map((x) => x.data));
}

test("send to a user of another realm is encrypted for each of its computers; the reply is from a key c2 publishes", async () => {
  const a = await r1.user("alice");
  const b = await r2.user("bob");
  await b.client.createComputer("phone");
  const bobPhone = await r2.login("bob", "phone", b.password);
  const alice = secure(a.client, a.userId, "laptop");
  const bobLaptop = secure(b.client, b.userId, "laptop");
  const bobPhoneDev = secure(bobPhone, b.userId, "phone");
  await Promise.all([alice.sm.publishKeys(), bobLaptop.sm.publishKeys(), bobPhoneDev.sm.publishKeys()]);
  await b.client.setComputerSetting("public-nickname", "bobby");

  // c1 answers for c2's user: the computers and their published keys, nothing else.
  assert.deepEqual(await a.client.listComputers(b.userId), ["laptop", "phone"]);
  const x = await a.client.getUserSetting("public-og-x25519", b.userId, "phone");
  assert.equal(x, Buffer.from(bobPhoneDev.keys.x25519.publicKey).toString("base64url"));
  assert.equal(await a.client.getUserSetting("public-og-x25519", b.userId, "no-such-pc"), null);
  await assert.rejects(a.client.getUserSetting("public-nickname", b.userId, "laptop"), {
    status: "UNAUTHORIZED",
    message: /only the "public-og-" settings .* of users on other realms/,
  });

  const secret = `across realms ${crypto.randomBytes(8).toString("hex")}`;
  const changes: KeyChange[] = [];
  const sent = await alice.sm.send([b.userId], Buffer.from(secret), { onKeyChange: (c) => changes.push(c) });
  assert.equal(sent.encrypted, true);
  assert.equal(changes.length, 0);
  for (const d of [bobLaptop, bobPhoneDev]) {
    await waitFor(async () => (await d.client.inbox()).includes(sent.id), 15_000, "delivery to c2");
    const got = await d.sm.read(sent.id);
    assert.equal(got.body.toString(), secret);
    // bob's realm looks up alice's keys on c1 the same way: her key is the one c1 publishes.
    assert.equal(got.trust, "new");
    assert.equal(got.fingerprint, fingerprint(alice.keys.x25519.publicKey, alice.keys.ed25519.publicKey));
  }
  // Neither realm stored the plaintext (c1 held it for the outbox, c2 for bob's computers).
  assert.equal((await allStored(r1)).indexOf(secret), -1);
  assert.equal((await allStored(r2)).indexOf(secret), -1);

  // The reply: c2 -> c1, opened by alice.
  const reply = await bobLaptop.sm.send([a.userId], Buffer.from("back to c1"));
  await waitFor(async () => (await a.client.inbox()).includes(reply.id), 15_000, "delivery to c1");
  const back = await alice.sm.read(reply.id);
  assert.equal(back.body.toString(), "back to c1");
  // alice remembered bob's laptop key when she sealed to it (looked up on c2): a known key.
  assert.equal(back.trust, "known");

  // bob's laptop gets new keys (not signed by the old ones): alice's next send reports it.
  const renewed = secure(b.client, b.userId, "laptop");
  await renewed.sm.publishKeys();
  // c1 caches c2's answer a few seconds (one round trip per send); wait past it.
  await new Promise((r) => setTimeout(r, 5_200));
  const again = await alice.sm.send([b.userId], Buffer.from("after the change"), {
    onKeyChange: (c) => changes.push(c),
  });
  assert.equal(changes.length, 1);
  assert.deepEqual(
    { user: changes[0].userId, computer: changes[0].computer, proven: changes[0].proven },
    { user: b.userId, computer: "laptop", proven: false },
  );
  assert.deepEqual(again.keyChanges, changes);
  await waitFor(async () => (await b.client.inbox()).includes(again.id), 15_000, "delivery to c2");
  assert.equal((await renewed.sm.read(again.id)).body.toString(), "after the change");
});

test("an unknown user on the other realm is refused by that realm's answer; a realm that cannot be asked is an error", async () => {
  const a = await r1.user("ann");
  const ann = secure(a.client, a.userId, "laptop");
  await ann.sm.publishKeys();
  const carol = `${r2.realmId}::carol`;
  await assert.rejects(ann.sm.send([carol], Buffer.from("hello?")), (e: unknown) => {
    assert.ok(e instanceof OpenGrooveError);
    assert.equal(e.status, "NOSUCHUSER");
    assert.equal(e.reason, "no such user carol on realm k2.test:63745");
    return true;
  });
  const b = await r2.user("ben");
  await secure(b.client, b.userId, "laptop").sm.publishKeys();
  await r2.stop();
  const started = Date.now();
  await assert.rejects(ann.sm.send([b.userId], Buffer.from("hello?")), (e: unknown) => {
    assert.ok(e instanceof OpenGrooveError);
    assert.equal(e.status, "FAIL");
    assert.match(e.reason, /the keys of .*ben cannot be looked up now: realm k2\.test:63745 did not answer/);
    return true;
  });
  assert.ok(Date.now() - started < 30_000, "the refusal does not hang");
  // Nothing was stored for the refused sends.
  const q = await r1.db.pool.query(`SELECT 1 FROM messages WHERE "messageId" LIKE $1`, [`${a.userId}-%`]);
  assert.equal(q.rowCount, 0);
  await r2.start();
});
