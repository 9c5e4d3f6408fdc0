// The opengroove CLI as a real child process against a real realm daemon: send text, a 1 MB
// file and a message link, inbox/read/delete round trips, quota, live notifications, errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { CLI_BIN as BIN, runCli } from "../helpers/cli.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-cli-msg-"));
const PASSWORD = "correct-horse-staple-9";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  raw: Buffer;
}

let h: RealmHarness;
let port: number;
const dirs: Record<string, string> = {};

const cli = (user: string, args: string[], input?: string | Buffer): Promise<Run> =>
  runCli(["--config-dir", dirs[user], ...args], { input });

function assertCleanError(r: Run, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.match(lines[0], /^opengroove: /);
  assert.match(lines[0], pattern);
  assert.ok(lines.length <= 2, `one error line and at most a hint: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

const ALICE = "plain.test:63999::alice";
const BOB = "plain.test:63999::bob";

before(async () => {
  h = await startRealmHarness();
  port = h.port(h.plainRealm);
  for (const u of ["alice", "bob"]) dirs[u] = fs.mkdtempSync(path.join(tmp, `${u}-`));
  const reg = await cli(
    "alice",
    ["register", "plain.test:63999", "alice", "--host", HOST, "--port", String(port), "--password-stdin"],
    `${PASSWORD}\n`,
  );
  assert.equal(reg.code, 0, reg.stderr);
  const login = await cli(
    "alice",
    [
      "login",
      ALICE,
      "--computer",
      "laptop",
      "--create-computer",
      "--host",
      HOST,
      "--port",
      String(port),
      "--password-stdin",
    ],
    `${PASSWORD}\n`,
  );
  assert.equal(login.code, 0, login.stderr);
  const bob = await h.user(h.plainRealm, "bob", { computer: "desk" });
  bob.client.close();
  const bl = await cli(
    "bob",
    ["login", BOB, "--computer", "desk", "--host", HOST, "--port", String(port), "--password-stdin"],
    `${bob.password}\n`,
  );
  assert.equal(bl.code, 0, bl.stderr);
});

after(async () => {
  await h.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function inbox(
  user: string,
): Promise<Array<{ id: string; sender: string; size: number; subject: string | null; filename: string | null }>> {
  const r = await cli(user, ["inbox", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("server- and sender-chosen text is shown with control characters escaped (inbox, read)", async () => {
  // A subject that would set the terminal title, turn the text red, return the carriage and
  // fake a second table row if printed raw.
  const subject = "\u001b]0;pwned\u0007\u001b[31mred\rFAKE  ROW\nsecond\u202e";
  const s = await cli("alice", ["send", BOB, "--subject", subject, "--text", "body", "--json"]);
  assert.equal(s.code, 0, s.stderr);
  const { id } = JSON.parse(s.stdout) as { id: string };
  // JSON keeps the exact value (JSON.stringify escapes it).
  assert.equal((await inbox("bob")).find((m) => m.id === id)?.subject, subject);
  const table = await cli("bob", ["inbox"]);
  assert.equal(table.code, 0, table.stderr);
  const row = table.stdout.split("\n").find((l) => l.startsWith(id));
  assert.ok(row, table.stdout);
  assert.ok(row.endsWith("\\e]0;pwned\\a\\e[31mred\\rFAKE  ROW\\nsecond\\u202e"), row);
  const r = await cli("bob", ["read", id]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\nSubject: \\e\]0;pwned\\a\\e\[31mred\\rFAKE {2}ROW\\nsecond\\u202e\nSize: /);
  for (const out of [table.stdout, r.stderr])
    assert.doesNotMatch(out, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/, JSON.stringify(out));
  await cli("bob", ["delete", id]);
});

test("send text; the recipient lists, reads and deletes it", async () => {
  const s = await cli("alice", ["send", BOB, "--subject", "Hello", "--text", "hi bob, it's alice", "--json"]);
  assert.equal(s.code, 0, s.stderr);
  const { id } = JSON.parse(s.stdout) as { id: string };
  assert.ok(id.startsWith(`${ALICE}-`));

  const list = await inbox("bob");
  assert.deepEqual(
    list.map((m) => [m.id, m.sender, m.subject, m.size]),
    [[id, ALICE, "Hello", 18]],
  );
  const table = await cli("bob", ["inbox"]);
  assert.match(table.stdout, /^ID\s+FROM\s+SIZE\s+SUBJECT\n/);
  assert.match(table.stdout, new RegExp(`${id}\\s+${ALICE}\\s+18 B\\s+Hello`));

  const r = await cli("bob", ["read", id]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "hi bob, it's alice");
  assert.match(r.stderr, /From: plain\.test:63999::alice \(laptop\)\nSubject: Hello/);

  const d = await cli("bob", ["delete", id]);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /^Deleted /);
  assert.deepEqual(await inbox("bob"), []);
});

test("a 1 MB file arrives byte for byte, with progress lines and its file name", async () => {
  const data = crypto.randomBytes(1024 * 1024);
  const src = path.join(tmp, "payload.bin");
  fs.writeFileSync(src, data);
  const s = await cli("alice", ["send", BOB, "--file", src, "--progress", "lines", "--json"]);
  assert.equal(s.code, 0, s.stderr);
  const progressLines = s.stderr.trim().split("\n");
  assert.equal(progressLines.length, 4, s.stderr);
  assert.match(progressLines[0], /^sending payload\.bin: [\d.]+ KiB of 1 MiB \((2[5-9]|3\d)%\)$/);
  assert.equal(progressLines[3], "sending payload.bin: 1 MiB of 1 MiB (100%)");
  const { id } = JSON.parse(s.stdout) as { id: string };

  const [m] = await inbox("bob");
  assert.equal(m.id, id);
  assert.equal(m.filename, "payload.bin");
  assert.equal(m.size, data.length);

  const out = path.join(tmp, "received.bin");
  const r = await cli("bob", ["read", id, "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /File: payload\.bin/);
  assert.ok(fs.readFileSync(out).equals(data), "identical bytes");
  const piped = await cli("bob", ["read", id]);
  assert.ok(piped.raw.equals(data), "identical bytes on a piped stdout");
  assert.equal((await cli("bob", ["delete", id])).code, 0);
});

test("send through an opengroovemessage:// link with the body on stdin", async () => {
  const s = await cli(
    "alice",
    ["send", "opengroovemessage://plain.test:63999/bob?subject=Via%20a%20link", "--json"],
    "typed into stdin\n",
  );
  assert.equal(s.code, 0, s.stderr);
  const { id, to } = JSON.parse(s.stdout) as { id: string; to: string };
  assert.equal(to, BOB);
  const [m] = await inbox("bob");
  assert.deepEqual([m.id, m.subject], [id, "Via a link"]);
  const r = await cli("bob", ["read", id, "--json"]);
  const j = JSON.parse(r.stdout) as { body: string; contentType: string; sender: string };
  assert.equal(j.body, "typed into stdin\n");
  assert.equal(j.contentType, "text/plain; charset=utf-8");
  assert.equal((await cli("bob", ["delete", id])).code, 0);
});

test("a link's body is sent when stdin is empty; an empty message is refused", async () => {
  const s = await cli("alice", [
    "send",
    "opengroovemessage://plain.test:63999/bob?subject=Lunch&body=Friday%20at%20noon%3F",
    "--json",
  ]);
  assert.equal(s.code, 0, s.stderr);
  const { id } = JSON.parse(s.stdout) as { id: string };
  const r = JSON.parse((await cli("bob", ["read", id, "--json"])).stdout) as { body: string; subject: string };
  assert.deepEqual([r.subject, r.body], ["Lunch", "Friday at noon?"]);
  assert.equal((await cli("bob", ["delete", id])).code, 0);
  assertCleanError(await cli("alice", ["send", BOB]), 2, /send: the message is empty/);
});

test("quota shows used / quota with a breakdown", async () => {
  const s = await cli("alice", ["send", BOB, "--text", "x".repeat(5000), "--json"]);
  const { id } = JSON.parse(s.stdout) as { id: string };
  const q = await cli("alice", ["quota"]);
  assert.equal(q.code, 0, q.stderr);
  assert.match(
    q.stdout,
    // The 5,000-byte text is stored encrypted (sealed envelope, a little larger); settings hold
    // the computer's three published key settings (public-og-*, 139 bytes); every message also
    // costs the per-message overhead (1 KiB + 64 B per recipient, docs/protocol.md §7).
    /^Storage: +6\.\d KiB used of 10 MiB \(0\.1%\), 10 MiB free\n {2}messages: +6\.\d KiB\n {2}workspaces: +0 B\n {2}settings: +139 B\nComputers: +1 of \d+\n/,
  );
  const j = JSON.parse((await cli("alice", ["quota", "--json"])).stdout) as {
    quotaBytes: number;
    usedBytes: number;
    messageBytes: number;
    settingsBytes: number;
  };
  assert.equal(j.quotaBytes, 10 * 1024 * 1024);
  assert.ok(j.messageBytes > 5000 && j.usedBytes === j.messageBytes + j.settingsBytes);
  assert.equal((await cli("bob", ["delete", id])).code, 0);
  const after = JSON.parse((await cli("alice", ["quota", "--json"])).stdout) as {
    usedBytes: number;
    messageBytes: number;
  };
  assert.equal(after.messageBytes, 0);
  assert.equal(after.usedBytes, 139, "only the published key settings remain");
});

test("watch prints live notifications as JSON lines", async () => {
  const child = spawn(process.execPath, [BIN, "--config-dir", dirs.bob, "watch", "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Array<Record<string, string>> = [];
  let stderr = "";
  let buf = "";
  const waiters: Array<() => void> = [];
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    waiters.splice(0).forEach((w) => w());
  });
  const until = async (cond: () => boolean) => {
    const deadline = Date.now() + 15_000;
    while (!cond()) {
      assert.ok(Date.now() < deadline, `timed out; stderr: ${stderr}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  await until(() => stderr.includes("Watching plain.test:63999::bob"));

  const s = await cli("alice", ["send", BOB, "--subject", "Live", "--text", "now", "--json"]);
  const { id } = JSON.parse(s.stdout) as { id: string };
  await until(() => lines.some((l) => l.event === "messageavailable"));
  const ev = lines.find((l) => l.event === "messageavailable")!;
  assert.deepEqual([ev.id, ev.sender, ev.subject], [id, ALICE, "Live"]);

  const sdk = await h.connect(h.plainRealm);
  await sdk.authenticate("alice", "laptop", PASSWORD);
  await sdk.sendImessage(BOB, "desk", "ping from the sdk");
  await until(() => lines.some((l) => l.event === "receiveimessage"));
  const im = lines.find((l) => l.event === "receiveimessage")!;
  assert.deepEqual([im.from, im.fromComputer, im.text], [ALICE, "laptop", "ping from the sdk"]);

  child.kill("SIGTERM");
  assert.equal(await exited, 0);
  assert.equal((await cli("bob", ["delete", id])).code, 0);
});

test("watch (plain lines): a subject or immediate message cannot fake a line or reach the terminal raw", async () => {
  const child = spawn(process.execPath, [BIN, "--config-dir", dirs.bob, "watch"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const until = async (cond: () => boolean) => {
    const deadline = Date.now() + 15_000;
    while (!cond()) {
      assert.ok(Date.now() < deadline, `timed out; stdout: ${stdout} stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  await until(() => stderr.includes("Watching plain.test:63999::bob"));
  // A second line that looks like a genuine notification, then a title-setting escape.
  const fake = "\n2026-01-01T00:00:00Z message x from plain.test:63999::admin (1 B): reset your password";
  const s = await cli("alice", ["send", BOB, "--subject", `hi${fake}\u001b]0;pwned\u0007`, "--text", "x", "--json"]);
  assert.equal(s.code, 0, s.stderr);
  const { id } = JSON.parse(s.stdout) as { id: string };
  const sdk = await h.connect(h.plainRealm);
  await sdk.authenticate("alice", "laptop", PASSWORD);
  // The realm refuses control characters in an immediate message; a bidi override passes it.
  assert.equal((await sdk.request("sendimessage", [BOB, "desk", "ping \u202eevil"])).status, "OK");
  await until(() => stdout.includes("imessage from"));
  child.kill("SIGTERM");
  assert.equal(await exited, 0);
  const lines = stdout.trimEnd().split("\n");
  assert.equal(lines.length, 2, `one line per notification: ${JSON.stringify(stdout)}`);
  assert.match(lines[0], new RegExp(`message ${id} from ${ALICE} .*: hi\\\\n2026-01-01T00:00:00Z message x`));
  assert.match(lines[0], /\\e\]0;pwned\\a$/);
  assert.match(lines[1], /imessage from .*: ping \\u202eevil$/);
  assert.doesNotMatch(stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/, JSON.stringify(stdout));
  sdk.close();
  assert.equal((await cli("bob", ["delete", id])).code, 0);
});

test("errors: unknown user, bad link, unknown message, quota exceeded, not logged in", async () => {
  assertCleanError(
    await cli("alice", ["send", "plain.test:63999::nobody", "--text", "x"]),
    4,
    /sending to plain\.test:63999::nobody: NOSUCHUSER/,
  );
  assertCleanError(
    await cli("alice", ["send", "opengroovemessage://plain.test:63999/", "--text", "x"]),
    2,
    /bad message link "opengroovemessage:\/\/plain\.test:63999\/": BADADDRESS The link names no user/,
  );
  assertCleanError(await cli("alice", ["send", "mailto:bob@example.com", "--text", "x"]), 2, /bad user id/);
  assertCleanError(
    await cli("alice", ["send", "opengroovemessage://plain.test:99999/bob", "--text", "x"]),
    2,
    /bad message link .*: BADADDRESS The port 99999 is not from 1 to 65535/,
  );
  assertCleanError(await cli("bob", ["read", `${ALICE}-nope`]), 4, /reading message .*: NOSUCHMESSAGE/);
  assertCleanError(await cli("alice", ["send"]), 2, /send: expected 1 argument/);
  assertCleanError(await cli("alice", ["send", BOB, "--bogus"]), 2, /Unknown option '--bogus'/);

  await h.db.pool.query(`UPDATE users SET "quotaBytes" = 200000 WHERE username = 'alice'`);
  const big = path.join(tmp, "big.bin");
  fs.writeFileSync(big, crypto.randomBytes(300_000));
  assertCleanError(await cli("alice", ["send", BOB, "--file", big]), 5, /QUOTAEXCEEDED/);
  const q = JSON.parse((await cli("alice", ["quota", "--json"])).stdout) as { messageBytes: number };
  assert.equal(q.messageBytes, 0, "the half-written message was retracted");
  assert.deepEqual(await inbox("bob"), []);

  assertCleanError(
    await cli("alice", ["send", BOB, "--file", path.join(tmp, "missing.bin")]),
    4,
    /reading .*missing\.bin: ENOENT/,
  );
  dirs.nobody = fs.mkdtempSync(path.join(tmp, "nobody-"));
  assertCleanError(await cli("nobody", ["inbox"]), 3, /not logged in/);
});
