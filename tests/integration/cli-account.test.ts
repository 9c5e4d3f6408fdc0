// The opengroove CLI's account commands as a real child process against a real realm daemon:
// register (open and captcha realms), login with a 0600 credentials file, whoami, computers,
// logout, the pinned TLS fingerprint, clear failures, and install-url-handler.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { passTicketCaptcha } from "../../lib/domain/tickets.ts";
import { cliFirstSteps } from "../../lib/account/cli-commands.ts";
import { runCli } from "../helpers/cli.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-cli-acct-"));
const PASSWORD = "correct-horse-staple-9";
const CAROL = "plain.test:63999::carol";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let h: RealmHarness;
let at: string[];
const dir = fs.mkdtempSync(path.join(tmp, "config-"));

const cli = (args: string[], input = "", env: Record<string, string> = {}): Promise<Run> =>
  runCli(args, { input, env: { OPENGROOVE_CONFIG_DIR: dir, ...env } });

function assertCleanError(r: Run, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr
    .trim()
    .split("\n")
    .filter((l) => !l.startsWith("Pinned "));
  assert.match(lines[0], /^opengroove: /);
  assert.match(lines[0], pattern);
  assert.ok(lines.length <= 2, `one error line and at most a hint: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

before(async () => {
  h = await startRealmHarness();
  at = ["--host", HOST, "--port", String(h.port(h.plainRealm))];
});

after(async () => {
  await h.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("register on the plain realm pins its certificate; a taken name is refused", async () => {
  const r = await cli(["register", "plain.test:63999", "carol", ...at, "--password-stdin"], `${PASSWORD}\n`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^Registered plain\.test:63999::carol\nNext: opengroove login plain\.test:63999::carol --computer NAME --create-computer\n$/,
  );
  const key = await h.db.pool.query<{ tlsFingerprint: string }>(
    `SELECT "tlsFingerprint" FROM realm_keys WHERE "realmId" = $1`,
    [h.plainRealm],
  );
  assert.match(
    r.stderr,
    new RegExp(
      `Pinned the TLS certificate of realm plain\\.test:63999 on first use: sha256 ${key.rows[0].tlsFingerprint}`,
    ),
  );
  const pins = JSON.parse(fs.readFileSync(path.join(dir, "known-realms.json"), "utf8")) as {
    realms: Record<string, { fingerprint: string }>;
  };
  assert.equal(pins.realms["plain.test:63999"].fingerprint, key.rows[0].tlsFingerprint);

  assertCleanError(
    await cli(["register", "plain.test:63999", "Carol", ...at, "--password-stdin"], `${PASSWORD}\n`),
    1,
    /registering "Carol" on plain\.test:63999: ALREADYEXISTS/,
  );
  assertCleanError(
    await cli(["register", "plain.test:63999", "dave", ...at, "--password-stdin"], "short\n"),
    1,
    /BADPASSWORD/,
  );
  assertCleanError(
    await cli(["register", "plain.test:63999", "dave", ...at]),
    2,
    /no terminal to ask for the password/,
  );
});

test("register on a captcha realm: CONTINUE with a URL, then --ticket/--token completes it", async () => {
  const open = ["--host", HOST, "--port", String(h.port(h.openRealm))];
  const first = await cli(["register", "realm.test:63745", "erin", ...open, "--password-stdin"], `${PASSWORD}\n`);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /needs a captcha.*\n {2}http:\/\/web\.test\/signup\/\S+\?ticket=/);
  const ticket = /--ticket (\S+) --token TOKEN/.exec(first.stdout)?.[1];
  assert.ok(ticket, first.stdout);
  const token = await passTicketCaptcha(h.db.pool, ticket, h.openRealm);
  assertCleanError(
    await cli(["register", "realm.test:63745", "erin", ...open, "--ticket", ticket], `${PASSWORD}\n`),
    2,
    /--ticket and --token go together/,
  );
  const done = await cli(
    [
      "register",
      "realm.test:63745",
      "erin",
      ...open,
      "--ticket",
      ticket,
      "--token",
      token,
      "--password-stdin",
      "--json",
    ],
    `${PASSWORD}\n`,
  );
  assert.equal(done.code, 0, done.stderr);
  assert.deepEqual(JSON.parse(done.stdout), {
    status: "OK",
    userId: "realm.test:63745::erin",
    realmId: "realm.test:63745",
  });
});

test("login stores credentials with mode 0600; whoami, computers, logout", async () => {
  assertCleanError(
    await cli(["login", CAROL, "--computer", "laptop", ...at, "--password-stdin"], `${PASSWORD}\n`),
    3,
    /logging in as .* on computer "laptop": BADCOMPUTER/,
  );
  const r = await cli(
    ["login", CAROL, "--computer", "laptop", "--create-computer", ...at, "--password-stdin"],
    `${PASSWORD}\n`,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Created computer "laptop"/);
  assert.match(r.stdout, /^Logged in as plain\.test:63999::carol on computer "laptop"\n/);
  const file = path.join(dir, "credentials.json");
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(dir).mode & 0o077, 0, "config dir not readable by others");
  const saved = JSON.parse(fs.readFileSync(file, "utf8")) as {
    account: { userId: string; computer: string; password: string; port: number };
  };
  assert.deepEqual(
    [saved.account.userId, saved.account.computer, saved.account.password, saved.account.port],
    [CAROL, "laptop", PASSWORD, h.port(h.plainRealm)],
  );

  const who = await cli(["whoami", "--check", "--json"]);
  assert.equal(who.code, 0, who.stderr);
  assert.deepEqual((({ userId, computer, verified }) => ({ userId, computer, verified }))(JSON.parse(who.stdout)), {
    userId: CAROL,
    computer: "laptop",
    verified: true,
  });

  assert.equal((await cli(["computers", "add", "phone"])).code, 0);
  assert.equal((await cli(["computers"])).stdout, "* laptop\n  phone\n");
  assertCleanError(await cli(["computers", "add", "phone"]), 1, /adding computer "phone": ALREADYEXISTS/);
  assert.equal((await cli(["computers", "remove", "phone"])).code, 0);
  assertCleanError(await cli(["computers", "remove", "phone"]), 4, /NOSUCHCOMPUTER/);
  assert.deepEqual(JSON.parse((await cli(["computers", "list", "--json"])).stdout), [
    { name: "laptop", current: true },
  ]);

  const out = await cli(["logout"]);
  assert.match(out.stdout, /^Logged out plain\.test:63999::carol/);
  assert.ok(!fs.existsSync(file));
  assert.ok(fs.existsSync(path.join(dir, "known-realms.json")), "pins survive logout");
  assertCleanError(await cli(["whoami"]), 3, /not logged in/);
});

test("the commands the signup success page prints work as printed (new account, no computer yet)", async () => {
  const reg = await cli(["register", "plain.test:63999", "frank", ...at, "--password-stdin"], `${PASSWORD}\n`);
  assert.equal(reg.code, 0, reg.stderr);
  const steps = cliFirstSteps("plain.test:63999::frank", { realmSlug: "plain" });
  // Shell-style split (double quotes group words); the test adds only the address override.
  const argv = (cmd: string) => [...cmd.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(1);
  const own = { OPENGROOVE_CONFIG_DIR: fs.mkdtempSync(path.join(tmp, "firststeps-")) };
  const login = await cli([...argv(steps.login), ...at, "--password-stdin"], `${PASSWORD}\n`, own);
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Logged in as plain\.test:63999::frank on computer "laptop"/);
  const send = await cli(argv(steps.send), "", own);
  assert.equal(send.code, 0, send.stderr);
  const inbox = await cli(argv(steps.inbox), "", own);
  assert.equal(inbox.code, 0, inbox.stderr);
  assert.match(inbox.stdout, /plain\.test:63999::frank\s+18 B/); // "hello from the CLI"
});

test("a wrong password and an unknown user fail with exit 3 and no stored credentials", async () => {
  assertCleanError(
    await cli(["login", CAROL, "--computer", "laptop", ...at, "--password-stdin"], "not-the-password-at-all\n"),
    3,
    /logging in as plain\.test:63999::carol on computer "laptop": BADAUTH wrong username or password/,
  );
  assertCleanError(
    await cli(
      ["login", "plain.test:63999::nobody", "--computer", "laptop", ...at, "--password-stdin"],
      `${PASSWORD}\n`,
    ),
    3,
    /BADAUTH/,
  );
  assertCleanError(
    await cli(["login", "no-colons", "--computer", "x", "--password-stdin"], `${PASSWORD}\n`),
    2,
    /bad user id "no-colons"/,
  );
  assertCleanError(
    await cli(["login", CAROL, ...at, "--password-stdin"], `${PASSWORD}\n`),
    2,
    /--computer NAME is required/,
  );
  assertCleanError(
    await cli(
      ["login", CAROL, "--computer", "laptop", "--port", "1", "--host", HOST, "--password-stdin"],
      `${PASSWORD}\n`,
    ),
    1,
    /connecting to plain\.test:63999 at 127\.0\.0\.1:1 \(tls\): DISCONNECTED/,
  );
  assert.ok(!fs.existsSync(path.join(dir, "credentials.json")));
});

test("a changed realm certificate is refused (trust on first use)", async () => {
  const r = await cli(["login", CAROL, "--computer", "laptop", ...at, "--password-stdin"], `${PASSWORD}\n`);
  assert.equal(r.code, 0, r.stderr);
  const pinsFile = path.join(dir, "known-realms.json");
  const pins = JSON.parse(fs.readFileSync(pinsFile, "utf8")) as { realms: Record<string, { fingerprint: string }> };
  pins.realms["plain.test:63999"].fingerprint = "ab".repeat(32);
  fs.writeFileSync(pinsFile, JSON.stringify(pins));
  const e = await cli(["inbox"]);
  assertCleanError(
    e,
    3,
    /connecting to realm plain\.test:63999: FINGERPRINT the realm's TLS certificate changed since \d{4}-\d\d-\d\d: pinned sha256 (ab){32}, the server presented [0-9a-f]{64}/,
  );
  // The way out is trusting a management server that vouches for keys, never editing a file.
  assert.match(e.stderr, /hint: without a trusted management server .*opengroove trust-management/);
  assert.doesNotMatch(e.stderr, /known-realms\.json/);
  assertCleanError(
    await cli(["login", CAROL, "--computer", "laptop", ...at, "--password-stdin"], `${PASSWORD}\n`),
    3,
    /FINGERPRINT/,
  );
});

test("install-url-handler writes an XDG .desktop file (and --dry-run does not)", async () => {
  const data = path.join(tmp, "xdg-data");
  const env = { XDG_DATA_HOME: data, XDG_CONFIG_HOME: path.join(tmp, "xdg-config"), PATH: path.join(tmp, "empty-bin") };
  const dry = await cli(["install-url-handler", "--dry-run"], "", env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^Would:\n {2}write .*opengroove-message\.desktop\n {2}skip xdg-mime \(not installed\)/);
  assert.ok(!fs.existsSync(data));
  const r = await cli(["install-url-handler"], "", env);
  assert.equal(r.code, 0, r.stderr);
  const desktop = fs.readFileSync(path.join(data, "applications", "opengroove-message.desktop"), "utf8");
  assert.match(desktop, /^MimeType=x-scheme-handler\/opengroovemessage;$/m);
  assert.match(desktop, /^Exec=.*client\/cli\/bin\.mjs send %u$/m);
  assert.match(r.stdout, /^Wrote .*opengroove-message\.desktop\n/);
});

test("help and usage errors", async () => {
  const help = await cli(["--help"]);
  assert.equal(help.code, 0);
  for (const c of [
    "register",
    "login",
    "logout",
    "whoami",
    "send",
    "inbox",
    "read",
    "delete",
    "watch",
    "computers",
    "quota",
    "install-url-handler",
  ])
    assert.match(help.stdout, new RegExp(`^ {2}${c} `, "m"));
  const sendHelp = await cli(["send", "--help"]);
  assert.match(sendHelp.stdout, /^Usage: opengroove send <user id \| opengroovemessage:/);
  assertCleanError(await cli(["frobnicate"]), 2, /unknown command "frobnicate"/);
  assertCleanError(await cli(["inbox", "--port", "99999"]), 2, /--port: "99999" is not a port number/);
  assertCleanError(
    await cli(["inbox", "--transport", "carrier-pigeon"]),
    2,
    /--transport: expected tls, tcp, ws or wss/,
  );
});
