// A user's own data over the protocol and the CLI (issue #19): `opengroove account export`
// streams the archive the web account page offers (exportaccount + readexport, checked against
// the server's SHA-256, written to FILE.part and renamed only when complete), and
// `opengroove account delete` deletes the account with the password and the username again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { untar } from "../helpers/export-archive.ts";
import { exportAccount, OpenGrooveError, type RealmClient } from "../../client/sdk/index.ts";
import { runCli } from "../helpers/cli.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-cli-data-"));
const dir = fs.mkdtempSync(path.join(tmp, "config-"));
const PASSWORD = "correct-horse-staple-9";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const cli = (args: string[], input = "", cwd = tmp): Promise<Run> =>
  runCli(args, { input, cwd, env: { OPENGROOVE_CONFIG_DIR: dir } });

const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

async function status(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    if (e instanceof OpenGrooveError) return e.status;
    throw e;
  }
}

let h: RealmHarness;
let at: string[];
let alice: { client: RealmClient; userId: string };
let bob: { client: RealmClient; userId: string };
let big: Buffer;
let small: Buffer;

before(async () => {
  h = await startRealmHarness();
  at = ["--host", HOST, "--port", String(h.port(h.plainRealm))];
  alice = await h.user(h.plainRealm, "alice", { password: PASSWORD });
  bob = await h.user(h.plainRealm, "bob");
  big = crypto.randomBytes(3 * 1024 * 1024 + 17); // several readexport chunks
  small = Buffer.from("hello alice\n");
  await bob.client.send(bob.userId, [alice.userId], big);
  await bob.client.send(bob.userId, [alice.userId], small);
  const r = await cli(["login", alice.userId, "--computer", "laptop", ...at, "--password-stdin"], `${PASSWORD}\n`);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  await h.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("account export writes the whole archive, checked, under the server's name or --out", async () => {
  const r = await cli(["account", "export", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { savedTo: string; size: number; sha256: string; filename: string };
  assert.match(out.filename, /^opengroove-export-alice-\d{4}-\d{2}-\d{2}\.tar$/);
  assert.equal(out.savedTo, out.filename);
  const archive = fs.readFileSync(path.join(tmp, out.savedTo));
  assert.equal(archive.length, out.size);
  assert.equal(sha(archive), out.sha256);
  assert.equal(fs.statSync(path.join(tmp, out.savedTo)).mode & 0o777, 0o600);
  assert.deepEqual(
    fs.readdirSync(tmp).filter((f) => f.endsWith(".part")),
    [],
    "no partial file left",
  );
  const files = await untar(archive);
  assert.equal(JSON.parse(files.get("profile.json")!.toString()).userId, alice.userId);
  const index = JSON.parse(files.get("messages/index.json")!.toString()) as Array<{ direction: string; file: string }>;
  const inbound = index.filter((e) => e.direction === "inbound").map((e) => sha(files.get(e.file)!));
  assert.deepEqual(inbound.sort(), [sha(big), sha(small)].sort());

  const named = await cli(["account", "export", "--out", "mine.tar"]);
  assert.equal(named.code, 0, named.stderr);
  assert.match(named.stdout, /^Saved your data export to mine\.tar \(3(\.\d+)? MiB, sha256 [0-9a-f]{64}\)\n$/);
  assert.equal((await untar(fs.readFileSync(path.join(tmp, "mine.tar")))).size, files.size);
});

test("readexport: only the owner reads an export; offsets past the end are refused", async () => {
  const info = await exportAccount(alice.client, () => undefined);
  assert.equal(
    await status(bob.client.call("readexport", [info.id, "0", "100"])),
    "NOSUCHEXPORT",
    "another user cannot read it",
  );
  assert.equal(
    await status(alice.client.call("readexport", [info.id, String(info.size + 1), "10"])),
    "INDEXOUTOFBOUNDS",
  );
  assert.equal(await status(alice.client.call("readexport", [info.id, "x", "10"])), "BADARGUMENTS");
  assert.equal(await status(alice.client.call("readexport", ["nope", "0", "10"])), "NOSUCHEXPORT");
  // A newer export replaces the older one.
  const again = await exportAccount(alice.client, () => undefined);
  assert.equal(await status(alice.client.call("readexport", [info.id, "0", "10"])), "NOSUCHEXPORT");
  assert.equal((await alice.client.call("readexport", [again.id, "0", "10"])).data.length, 10);
});

test("account delete: wrong confirmation and wrong password are refused; then the account is gone", async () => {
  const wrongName = await cli(["account", "delete", "--confirm", "bob", "--password-stdin"], `${PASSWORD}\n`);
  assert.equal(wrongName.code, 1, wrongName.stderr);
  assert.match(wrongName.stderr, /^opengroove: deleting the account: BADARGUMENTS type your username \(alice\)/);
  const wrongPassword = await cli(["account", "delete", "--confirm", "alice", "--password-stdin"], "not-it-at-all\n");
  assert.equal(wrongPassword.code, 3, wrongPassword.stderr);
  assert.match(wrongPassword.stderr, /BADAUTH/);
  assert.equal((await h.db.pool.query(`SELECT 1 FROM users WHERE username = 'alice'`)).rowCount, 1);

  const draft = alice.client.newMessageId(alice.userId);
  await alice.client.createMessage(draft, [bob.userId]);
  await alice.client.writeMessageData(draft, 0, Buffer.alloc(5000, 1));
  const ok = await cli(["account", "delete", "--confirm", "alice", "--password-stdin", "--json"], `${PASSWORD}\n`);
  assert.equal(ok.code, 0, ok.stderr);
  const r = JSON.parse(ok.stdout) as { deleted: string; bytesReleased: string; messagesRetracted: number };
  assert.equal(r.deleted, alice.userId);
  assert.equal(r.messagesRetracted, 1, "the unsent draft was retracted");
  assert.equal(BigInt(r.bytesReleased) >= 5000n, true);
  assert.equal((await h.db.pool.query(`SELECT 1 FROM users WHERE username = 'alice'`)).rowCount, 0);
  assert.ok(!fs.existsSync(path.join(dir, "credentials.json")), "the stored login is forgotten");
  // bob's messages that only alice was waiting for are gone and his bytes released.
  const bobUsage = await h.db.pool.query<{ messageBytes: string }>(
    `SELECT "messageBytes" FROM users WHERE username = 'bob'`,
  );
  assert.equal(String(bobUsage.rows[0].messageBytes), "0");
  const login = await cli(["login", alice.userId, "--computer", "laptop", ...at, "--password-stdin"], `${PASSWORD}\n`);
  assert.equal(login.code, 3, login.stderr);
});
