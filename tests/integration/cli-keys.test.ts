// `opengroove keys` and transparent encryption in the CLI, as real child processes against a real
// realm daemon: the fingerprint shown matches the published keys, send/read encrypt and decrypt,
// the database holds no plaintext, verify, rotation reported to the contact, --plaintext.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { fingerprint, generateComputerKeys } from "../../client/sdk/crypto/computer-keys.ts";
import { publishedKeys } from "../../client/sdk/crypto/key-directory.ts";
import { sealMessage } from "../../client/sdk/crypto/sealed-message.ts";
import { encodeEnvelope } from "../../lib/envelope.ts";
import { runCli } from "../helpers/cli.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-cli-keys-"));
let h: RealmHarness;
let port: number;
const dirs: Record<string, string> = {};
const ids: Record<string, string> = {};
const passwords: Record<string, string> = {};

const cli = (user: string, args: string[], input = "") => runCli(["--config-dir", dirs[user], ...args], { input });

async function published(userId: string, computer: string): Promise<string> {
  const r = await h.db.pool.query<{ key: string; value: string }>(
    `SELECT s.key, s.value FROM settings s JOIN users u ON u.id = s."userId" WHERE u."realmId" || '::' || u.username = $1 AND s.computer = $2`,
    [userId, computer],
  );
  const m = Object.fromEntries(r.rows.map((x) => [x.key, x.value]));
  return fingerprint(Buffer.from(m["public-og-x25519"], "base64url"), Buffer.from(m["public-og-ed25519"], "base64url"));
}

async function stored(id: string): Promise<Buffer> {
  const r = await h.db.pool.query<{ data: Buffer }>(
    `SELECT b.data FROM message_blocks b JOIN messages m ON m.id = b."messageId" WHERE m."messageId" = $1 ORDER BY b.block`,
    [id],
  );
  return Buffer.concat(r.rows.map((x) => x.data));
}

before(async () => {
  h = await startRealmHarness();
  port = h.port(h.plainRealm);
  for (const name of ["alice", "bob", "carol"]) {
    const u = await h.user(h.plainRealm, name, { computer: "laptop" });
    u.client.close();
    ids[name] = u.userId;
    passwords[name] = u.password;
    dirs[name] = fs.mkdtempSync(path.join(tmp, `${name}-`));
    if (name === "carol") continue; // carol never logs in with the CLI: her computer publishes no key
    const r = await cli(
      name,
      ["login", u.userId, "--computer", "laptop", "--host", HOST, "--port", String(port), "--password-stdin"],
      `${u.password}\n`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /This computer's key fingerprint: ([0-9a-f]{4} ){15}[0-9a-f]{4}\n/);
  }
});

after(async () => {
  await h.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("keys, encrypted send/read, verify, rotation reported, no key refused unless --plaintext", async () => {
  const shown = await cli("alice", ["keys", "--json"]);
  assert.equal(shown.code, 0, shown.stderr);
  const fp1 = (JSON.parse(shown.stdout) as { fingerprint: string }).fingerprint;
  assert.equal(fp1, await published(ids.alice, "laptop"), "the fingerprint shown is that of the published keys");
  const keyFile = fs
    .readdirSync(path.join(dirs.alice, "keys"), { recursive: true, withFileTypes: true })
    .find((e) => e.name === "laptop.json")!;
  assert.equal(fs.statSync(path.join(keyFile.parentPath, keyFile.name)).mode & 0o777, 0o600);

  const s = await cli("alice", ["send", ids.bob, "--subject", "Plans", "--text", "meet at the old mill", "--json"]);
  assert.equal(s.code, 0, s.stderr);
  const sent = JSON.parse(s.stdout) as { id: string; encrypted: boolean };
  assert.equal(sent.encrypted, true);
  const bytes = await stored(sent.id);
  assert.equal(bytes.indexOf("old mill"), -1);
  assert.equal(bytes.indexOf("Plans"), -1, "the subject is encrypted too");

  const list = await cli("bob", ["inbox", "--json"]);
  assert.deepEqual(
    (JSON.parse(list.stdout) as Array<{ id: string; subject: string; encrypted: boolean }>).map((m) => [
      m.id,
      m.subject,
      m.encrypted,
    ]),
    [[sent.id, "Plans", true]],
  );
  const r = await cli("bob", ["read", sent.id]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "meet at the old mill");
  assert.match(r.stderr, /Security: end-to-end encrypted, first message from this computer/);

  const wrong = await cli("bob", ["keys", "verify", ids.alice, "laptop", "00".repeat(32)]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /MISMATCH/);
  const ok = await cli("bob", ["keys", "verify", ids.alice, "laptop", fp1]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^Verified computer "laptop"/);
  const again = await cli("alice", ["send", ids.bob, "--text", "second"]);
  assert.equal(again.code, 0, again.stderr);
  const id2 = again.stdout.match(/Sent (\S+)/)![1];
  assert.match((await cli("bob", ["read", id2])).stderr, /from a verified key/);

  const rot = await cli("alice", ["keys", "rotate", "--json"]);
  assert.equal(rot.code, 0, rot.stderr);
  const fp2 = (JSON.parse(rot.stdout) as { fingerprint: string }).fingerprint;
  assert.notEqual(fp2, fp1);
  assert.equal(fp2, await published(ids.alice, "laptop"));
  // Messages sealed to the old key still open after the rotation (bob → alice before, read after).
  const third = await cli("alice", ["send", ids.bob, "--text", "after rotation"]);
  const id3 = third.stdout.match(/Sent (\S+)/)![1];
  const r3 = await cli("bob", ["read", id3]);
  assert.equal(r3.code, 0, r3.stderr);
  assert.equal(r3.stdout, "after rotation");
  assert.match(
    r3.stderr,
    /warning: computer "laptop" of .*alice has a new key \(signed by its previous key\); it was verified before/,
  );
  assert.match(r3.stderr, /WARNING: the sender's computer has a new key/);
  const contacts = JSON.parse((await cli("bob", ["keys", "contacts", "--json"])).stdout) as Array<{
    fingerprint: string;
    changedAt?: string;
    verifiedAt?: string;
  }>;
  assert.equal(contacts.length, 1);
  assert.equal(contacts[0].fingerprint, fp2);
  assert.ok(contacts[0].changedAt && !contacts[0].verifiedAt);

  const nokey = await cli("alice", ["send", ids.carol, "--text", "hello carol"]);
  assert.equal(nokey.code, 1);
  assert.match(nokey.stderr, /NOKEY computer "laptop" of .*carol publishes no encryption key/);
  assert.match(nokey.stderr, /hint: add --plaintext/);
  const plain = await cli("alice", ["send", ids.carol, "--text", "hello carol", "--plaintext", "--json"]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal((JSON.parse(plain.stdout) as { encrypted: boolean }).encrypted, false);
});

test("a contact's new key is shown to the sender; a message signed by an unknown key is marked", async () => {
  // bob rotates: alice's next send warns before sending (the rotation is signed by bob's old key).
  assert.equal((await cli("bob", ["keys", "rotate"])).code, 0);
  const s = await cli("alice", ["send", ids.bob, "--text", "after your rotation"]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stderr, /warning: computer "laptop" of .*bob has a new key \(signed by its previous key\)/);

  // A message that the realm says is from alice's laptop, sealed for bob, but signed by other keys
  // than alice publishes (a stolen session, or a realm injecting messages).
  const c = await h.connect(h.plainRealm);
  try {
    await c.authenticate(ids.alice, "laptop", passwords.alice);
    const bobKeys = await publishedKeys(c, ids.bob, "laptop");
    const id = c.newMessageId(ids.alice);
    const sealer = sealMessage({
      id,
      from: ids.alice,
      computer: "laptop",
      keys: generateComputerKeys(),
      recipients: [{ userId: ids.bob, computer: "laptop", keys: bobKeys.keys! }],
    });
    const parts: Uint8Array[] = [];
    for await (const f of sealer.frames([encodeEnvelope({ contentType: "text/plain" }, Buffer.from("trust me"))]))
      parts.push(f);
    await c.post(id, [`${ids.bob} laptop`], Buffer.concat(parts));
    const r = await cli("bob", ["read", id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "trust me");
    assert.match(r.stderr, /WARNING: signed by an UNKNOWN key ([0-9a-f]{4} ){15}[0-9a-f]{4} \(not the one published/);
  } finally {
    c.close();
  }
});
