// The one text rule over real TLS sockets: a NUL or other control character in any text argument
// is BADARGUMENTS (never INTERNALERROR), for anonymous and authenticated commands alike, and the
// connection keeps working afterwards.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import type { RealmClient } from "../../client/sdk/index.ts";

let h: RealmHarness;
let alice: RealmClient;
let aliceId: string;
before(async () => {
  h = await startRealmHarness();
  const a = await h.user(h.plainRealm, "alice");
  alice = a.client;
  aliceId = a.userId;
});
after(async () => h.stop());

const BAD = ["\u0000", "\u0001", "\u001b[31m", "\u007f", "\u0085"];

async function expectBadArguments(c: RealmClient, command: string, args: string[] | Buffer): Promise<void> {
  const r = await c.request(command, args);
  assert.equal(r.status, "BADARGUMENTS", `${command} ${JSON.stringify(String(args))}: ${r.status} ${r.text}`);
  assert.match(r.text, /control character/);
}

test("authenticate: a control character in the username or password is BADARGUMENTS", async () => {
  const c = await h.connect(h.plainRealm);
  for (const bad of BAD) {
    await expectBadArguments(c, "authenticate", [`ali${bad}ce`, "laptop", "correct horse battery"]);
    await expectBadArguments(c, "authenticate", ["alice", "laptop", `pw${bad}`]);
  }
  // Still usable: the right credentials work on the same connection.
  await c.authenticate("alice", "laptop", "correct horse battery");
});

test("registeraccount: a percent-encoded NUL in a value is BADARGUMENTS", async () => {
  const c = await h.connect(h.plainRealm);
  await expectBadArguments(c, "registeraccount", Buffer.from("username=bo%00b&password=long-enough-password"));
});

test("settings, search, status and message ids: control characters are BADARGUMENTS", async () => {
  for (const bad of BAD) {
    await expectBadArguments(alice, "setusersetting", [`key${bad}`, "value"]);
    await expectBadArguments(alice, "setusersetting", ["key", `val${bad}ue`]);
    await expectBadArguments(alice, "getusersetting", [`key${bad}`]);
    await expectBadArguments(alice, "deleteusersetting", [`key${bad}`]);
    await expectBadArguments(alice, "setcomputersetting", [`k${bad}`, "v"]);
    await expectBadArguments(alice, "searchusers", [`al${bad}`]);
    await expectBadArguments(alice, "getuserstatus", [`${aliceId}${bad}`]);
    await expectBadArguments(alice, "deletemessage", [`${aliceId}-x${bad}`]);
    await expectBadArguments(alice, "getmessageinfo", [`x${bad}`]);
    await expectBadArguments(alice, "createcomputer", [`pc${bad}`]);
    await expectBadArguments(alice, "sendimessage", [aliceId, "laptop", `hi${bad}`]);
    await expectBadArguments(alice, "writemessagedata", Buffer.from(`id${bad}\n0\n1\nx`));
  }
  // TAB is the one control a text field may hold (a setting value), and the session still works.
  await alice.setUserSetting("tabbed", "a\tb");
  assert.equal(await alice.getUserSetting("tabbed"), "a\tb");
});
