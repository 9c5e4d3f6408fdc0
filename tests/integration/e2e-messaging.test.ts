// End-to-end encrypted messages through a real realm daemon and PostgreSQL: keys published as
// computer settings, many recipients with several computers each, the stored bytes hold no
// plaintext, tampering in the database is refused, key changes are reported.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { OpenGrooveError, type RealmClient } from "../../client/sdk/index.ts";
import {
  generateComputerKeys,
  rotationStatement,
  sign,
  type ComputerKeys,
} from "../../client/sdk/crypto/computer-keys.ts";
import { toBase64Url } from "../../client/sdk/crypto/bytes.ts";
import { KnownKeys, memoryBackend, type KeyChange } from "../../client/sdk/crypto/known-keys.ts";
import { E2EError, SecureMessaging } from "../../client/sdk/secure-messages.ts";
import { SealedMessageError } from "../../client/sdk/crypto/sealed-message.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => {
  await h.stop();
});

interface Device {
  client: RealmClient;
  userId: string;
  computer: string;
  keys: ComputerKeys;
  sm: SecureMessaging;
}

let n = 0;
/** A user with `computers` computers, each logged in with its own keys, published. */
async function person(name: string, computers: string[], publish = true): Promise<Device[]> {
  const first = await h.user(h.plainRealm, `${name}${++n}`, { computer: computers[0] });
  const out: Device[] = [];
  for (const computer of computers) {
    let client = first.client;
    if (computer !== computers[0]) {
      await first.client.createComputer(computer);
      client = await h.connect(h.plainRealm);
      await client.authenticate(first.userId, computer, first.password);
    }
    const keys = generateComputerKeys();
    const sm = new SecureMessaging(
      client,
      { userId: first.userId, computer },
      { current: keys, previous: [] },
      new KnownKeys(memoryBackend()),
    );
    if (publish) assert.equal(await sm.publishKeys(), true);
    out.push({ client, userId: first.userId, computer, keys, sm });
  }
  return out;
}

async function storedBytes(messageId: string): Promise<Buffer> {
  const r = await h.db.pool.query<{ data: Buffer }>(
    `SELECT b.data FROM message_blocks b JOIN messages m ON m.id = b."messageId" WHERE m."messageId" = $1 ORDER BY b.block`,
    [messageId],
  );
  return Buffer.concat(r.rows.map((x) => x.data));
}

test("keys are published once as public-og-* computer settings, readable by other users", async () => {
  const [a] = await person("pub", ["laptop"]);
  const [b] = await person("reader", ["desk"]);
  assert.equal(await a.sm.publishKeys(), false, "publishing again changes nothing");
  assert.equal(
    await b.client.getUserSetting("public-og-x25519", a.userId, "laptop"),
    toBase64Url(a.keys.x25519.publicKey),
  );
  assert.equal(await b.client.getUserSetting("public-og-keyformat", a.userId, "laptop"), "1");
  assert.deepEqual(await b.client.listComputers(a.userId), ["laptop"]);
  await assert.rejects(
    b.client.listComputers("elsewhere.test:1::x"),
    (e: OpenGrooveError) => e.status === "NOSUCHUSER",
  );
});

test("many recipients × several computers each read the message; the database holds no plaintext", async () => {
  const [sender] = await person("sender", ["laptop"]);
  const people = await Promise.all([0, 1, 2, 3].map((i) => person(`rcpt${i}`, ["laptop", "phone", "desk"])));
  const secret = `top secret ${crypto.randomBytes(8).toString("hex")} `.repeat(50);
  const changes: KeyChange[] = [];
  const sent = await sender.sm.send(
    people.map((p) => p[0].userId),
    Buffer.from(secret),
    { onKeyChange: (c) => changes.push(c) },
  );
  assert.equal(sent.encrypted, true);
  assert.deepEqual(changes, []);
  const stored = await storedBytes(sent.id);
  assert.equal(stored.length, sent.bytes);
  assert.equal(stored.subarray(0, 4).toString(), "OGE1");
  assert.equal(stored.indexOf("top secret"), -1, "no plaintext in message_blocks");
  const recipients = await h.db.pool.query(
    `SELECT mr.computer FROM message_recipients mr JOIN messages m ON m.id = mr."messageId" WHERE m."messageId" = $1`,
    [sent.id],
  );
  assert.equal(recipients.rowCount, 12, "one delivery per recipient computer");
  for (const d of people.flat()) {
    assert.deepEqual(await d.client.inbox(), [sent.id]);
    const m = await d.sm.read(sent.id);
    assert.equal(m.body.toString(), secret, `${d.userId} ${d.computer}`);
    assert.equal(m.encrypted, true);
    assert.equal(m.trust, "new", "first message from that computer: its published key is remembered");
    assert.equal(m.sender, sender.userId);
  }
  // A second message from the same computer is from a known key.
  const again = await sender.sm.send([people[0][0].userId], Buffer.from("again"));
  assert.equal((await people[0][0].sm.read(again.id)).trust, "known");
});

test("a large body streams up and down encrypted (several MiB, no plaintext stored)", async () => {
  const [a] = await person("big", ["laptop"]);
  const [b] = await person("bigr", ["laptop"]);
  const piece = Buffer.alloc(256 * 1024, "plaintext-marker ");
  const total = 4 * 1024 * 1024 + 123;
  async function* body() {
    let left = total;
    while (left > 0) {
      const p = piece.subarray(0, Math.min(left, piece.length));
      left -= p.length;
      yield p;
    }
  }
  const sent = await a.sm.send([b.userId], body(), { size: total });
  const stored = await storedBytes(sent.id);
  assert.equal(stored.indexOf("plaintext-marker"), -1);
  const hash = crypto.createHash("sha256");
  let got = 0;
  const m = await b.sm.open(sent.id, (c) => {
    got += c.length;
    hash.update(c);
  });
  assert.equal(got, total);
  assert.equal(m.size, total);
  const expect = crypto.createHash("sha256");
  for await (const p of body()) expect.update(p);
  assert.equal(hash.digest("hex"), expect.digest("hex"));
});

test("a message tampered with in the database, or not meant for the reader's key, is refused", async () => {
  const [a] = await person("tam", ["laptop"]);
  const [b] = await person("tamr", ["laptop"]);
  const sent = await a.sm.send([b.userId], Buffer.from("do not touch"));
  await h.db.pool.query(
    `UPDATE message_blocks b SET data = set_byte(b.data, length(b.data) - 80, get_byte(b.data, length(b.data) - 80) # 1)
       FROM messages m WHERE m.id = b."messageId" AND m."messageId" = $1`,
    [sent.id],
  );
  await assert.rejects(b.sm.read(sent.id), (e: unknown) => e instanceof SealedMessageError && e.code === "TAMPERED");
  // The same computer with other keys (e.g. a reinstalled client) cannot open it.
  const sent2 = await a.sm.send([b.userId], Buffer.from("for the old key"));
  const other = new SecureMessaging(
    b.client,
    { userId: b.userId, computer: b.computer },
    { current: generateComputerKeys(), previous: [] },
    new KnownKeys(memoryBackend()),
  );
  await assert.rejects(other.read(sent2.id), (e: unknown) => e instanceof SealedMessageError && e.code === "NOTFORME");
});

test("recipients without keys or on another realm are refused unless sent as plaintext", async () => {
  const [a] = await person("nk", ["laptop"]);
  const [b] = await person("nkr", ["laptop", "old-pc"]);
  await h.db.pool.query(
    `DELETE FROM settings WHERE computer = 'old-pc' AND "userId" = (SELECT id FROM users WHERE "realmId" || '::' || username = $1)`,
    [b.userId],
  );
  await assert.rejects(
    a.sm.send([b.userId], Buffer.from("x")),
    (e: unknown) => e instanceof E2EError && e.code === "NOKEY" && /"old-pc"/.test(e.message),
  );
  assert.deepEqual(await b.client.inbox(), [], "nothing was stored");
  await assert.rejects(
    a.sm.send(["elsewhere.test:1::bob"], Buffer.from("x")),
    (e: unknown) => e instanceof E2EError && e.code === "NOKEY" && /another realm/.test(e.message),
  );
  const plain = await a.sm.send([b.userId], Buffer.from("visible"), { plaintext: true });
  assert.equal(plain.encrypted, false);
  assert.equal((await storedBytes(plain.id)).toString(), "visible");
  const m = await b.sm.read(plain.id);
  assert.equal(m.encrypted, false);
  assert.equal(m.trust, "none");
  assert.equal(m.body.toString(), "visible");
});

test("a changed key is reported to senders and readers; a rotation signed by the old key says so", async () => {
  const [a] = await person("kc", ["laptop"]);
  const [b] = await person("kcr", ["laptop"]);
  await a.sm.send([b.userId], Buffer.from("first"));
  await b.sm.read((await b.client.inbox())[0]);

  // b gets new keys without a proof (a reinstall): a's next send reports it.
  const bNew = generateComputerKeys();
  const b2 = new SecureMessaging(
    b.client,
    { userId: b.userId, computer: b.computer },
    { current: bNew, previous: [b.keys] },
    b.sm.known,
  );
  await b2.publishKeys();
  const changes: KeyChange[] = [];
  const s = await a.sm.send([b.userId], Buffer.from("second"), { onKeyChange: (c) => changes.push(c) });
  assert.equal(changes.length, 1);
  assert.equal(changes[0].computer, "laptop");
  assert.equal(changes[0].userId, b.userId);
  assert.equal(changes[0].proven, false);
  assert.deepEqual(s.keyChanges, changes);
  assert.equal((await b2.read(s.id)).body.toString(), "second");

  // a rotates with a proof; b reads a's next message: changed, proven.
  const aNew = generateComputerKeys();
  const proof = toBase64Url(
    sign(a.keys, rotationStatement({ x25519: aNew.x25519.publicKey, ed25519: aNew.ed25519.publicKey })),
  );
  const a2 = new SecureMessaging(
    a.client,
    { userId: a.userId, computer: a.computer },
    { current: aNew, previous: [a.keys], rotation: proof },
    a.sm.known,
  );
  await a2.publishKeys();
  const s2 = await a2.send([b.userId], Buffer.from("third"));
  const m = await b2.read(s2.id);
  assert.equal(m.body.toString(), "third");
  assert.equal(m.trust, "changed");
  assert.equal(m.keyChange?.proven, true);
  // A message signed by a key the realm does not publish for that computer is marked unknown.
  const rogue = new SecureMessaging(
    a.client,
    { userId: a.userId, computer: a.computer },
    { current: generateComputerKeys(), previous: [] },
    new KnownKeys(memoryBackend()),
  );
  const s3 = await rogue.send([b.userId], Buffer.from("from a stolen session"));
  assert.equal((await b2.read(s3.id)).trust, "unknown");
});
