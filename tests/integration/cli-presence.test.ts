// The CLI's subscribe, visibility and help-docs commands as a real child process against a real
// realm daemon, and `watch` printing a subscription event.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { CLI_BIN as BIN, runCli } from "../helpers/cli.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-cli-presence-"));
let h: RealmHarness;
let at: string[];

const cli = (args: string[], input = "") => runCli(args, { input, env: { OPENGROOVE_CONFIG_DIR: tmp } });

before(async () => {
  h = await startRealmHarness();
  at = ["--host", HOST, "--port", String(h.port(h.plainRealm))];
});
after(async () => {
  await h.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("subscribe, visibility and help-docs from the command line", async () => {
  const me = await h.user(h.plainRealm, "clisub", { computer: "cli" });
  me.client.close();
  const other = await h.user(h.plainRealm, "clitarget");
  const login = await cli(["login", me.userId, "--computer", "cli", ...at, "--password-stdin"], `${me.password}\n`);
  assert.equal(login.code, 0, login.stderr);

  const add = await cli(["subscribe", "add", "usersetting", other.userId, "--setting", "public-mood"]);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout, `Subscribed to usersetting of ${other.userId}\n`);
  const list = await cli(["subscribe", "list"]);
  assert.equal(list.stdout, `usersetting ${other.userId} setting=public-mood\n`);
  const json = await cli(["subscribe", "--json"]);
  assert.deepEqual(JSON.parse(json.stdout), [
    { type: "usersetting", onUser: other.userId, onComputer: "", onSetting: "public-mood", deleteWithTarget: false },
  ]);
  const dup = await cli(["subscribe", "add", "usersetting", other.userId, "--setting", "public-mood"]);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /ALREADYEXISTS/);
  const bad = await cli(["subscribe", "add", "presence", other.userId]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /TYPE must be one of/);

  // watch prints the event when the target changes the setting.
  const child = spawn(process.execPath, [BIN, "watch"], { env: { ...process.env, OPENGROOVE_CONFIG_DIR: tmp } });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  try {
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    for (let i = 0; i < 200 && !/Watching/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
    await other.client.setUserSetting("public-mood", "sunny");
    for (let i = 0; i < 200 && !/changed:/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(
      out,
      new RegExp(`changed: usersetting of ${other.userId.replace(/[.:]/g, "\\$&")} setting public-mood`),
    );
  } finally {
    child.kill("SIGINT");
  }

  const removed = await cli(["subscribe", "remove", "usersetting", other.userId, "--setting", "public-mood"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal((await cli(["subscribe"])).stdout, "No subscriptions\n");

  assert.equal((await cli(["visibility"])).stdout, "everyone\n");
  assert.equal((await cli(["visibility", "contacts"])).stdout, "Visibility: contacts\n");
  assert.equal((await cli(["visibility"])).stdout, "contacts\n");
  const badVis = await cli(["visibility", "friends"]);
  assert.equal(badVis.code, 2);

  await h.db.pool.query(`INSERT INTO help_documents ("realmId", path, body) VALUES ($1, '/start', '<p>Hi</p>')`, [
    h.plainRealm,
  ]);
  assert.equal((await cli(["help-docs"])).stdout, "/start\n");
  assert.equal((await cli(["help-docs", "show", "/start"])).stdout, "<p>Hi</p>\n");
  const missing = await cli(["help-docs", "show", "/nope"]);
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /No help document \/nope/);
});
