// The original 2008 client's wire behaviour against a realm (issue #15): a client written from
// docs/protocol.md's description of the original bytes (tests/helpers/original-client.ts, not
// our SDK) greets, authenticates with the original four fields, creates a computer with
// `name LF type`, sends and receives stored messages (space-separated writemessagedata, the
// original's `realm:username` ids) and immediate messages with an SDK client, and reads every
// reply and push with the original's 4-token parser, which drops anything shorter.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { OriginalClient, parseReceiveImessage } from "../helpers/original-client.ts";
import { decodeImmediateMessagePush } from "../../lib/protocol/index.ts";
import { foldUsername } from "../../lib/domain/usernames.ts";

let h: RealmHarness;
const clients: OriginalClient[] = [];
before(async () => {
  h = await startRealmHarness();
});
after(async () => {
  for (const c of clients) c.close();
  await h.stop();
});

// realm.test:63745 is on the original's default port, so the original names it "realm.test".
const REALM = "realm.test:63745";
const ORIGINAL_REALM = "realm.test";

async function original(): Promise<OriginalClient> {
  const c = await OriginalClient.connect(HOST, h.port(REALM));
  clients.push(c);
  return c;
}

const auth = (computer: string, username: string, password: string) => `normal\n${username}\n${computer}\n${password}`;

test("the original's bytes for each command (docs/protocol.md section 6)", () => {
  const cases: [string, string, string, string][] = [
    ["p7", "ping", "", "p7 ping "],
    ["p1", "authenticate", "normal\nalice\nlaptop\npw", "p1 authenticate normal\nalice\nlaptop\npw"],
    ["_auth", "authenticate", "normal\nalice\n\npw", "_auth authenticate normal\nalice\n\npw"],
    ["p2", "createcomputer", "desk\npc", "p2 createcomputer desk\npc"],
    ["p3", "writemessagedata", "realm.test:alice-1o 0 5 hello", "p3 writemessagedata realm.test:alice-1o 0 5 hello"],
    ["p4", "readmessagedata", "realm.test:alice-1o\n0\n5", "p4 readmessagedata realm.test:alice-1o\n0\n5"],
    ["p5", "sendimessage", "im1 bob laptop hi", "p5 sendimessage im1 bob laptop hi"],
    ["p6", "listinboundmessages", "", "p6 listinboundmessages "],
  ];
  for (const [id, command, contents, wire] of cases)
    assert.equal(OriginalClient.requestBytes(id, command, contents).toString("latin1"), wire);
});

test("greeting, sync byte, and replies the original parser keeps (even with empty data)", async () => {
  const c = await original();
  const ping = await c.query("ping");
  assert.equal(ping.status, "OK");
  // nop answers with no data: "p2 nop OK " still has four tokens.
  const nop = await c.query("nop");
  assert.deepEqual([nop.command, nop.status, nop.data.length], ["nop", "OK", 0]);
  const time = await c.query("gettime");
  // The original parsed gettime as "<ms> ..." and took the first space-separated token.
  assert.ok(Math.abs(Number(time.data.toString().split(" ")[0]) - Date.now()) < 60_000);
  const unknown = await c.query("frobnicate");
  assert.equal(unknown.status, "UNKNOWNCOMMAND");
  assert.deepEqual(c.dropped, [], "no reply was too short for the original parser");
});

test("four-field authenticate, account-only createcomputer name LF type, then a computer login", async () => {
  const u = await h.user(REALM, "origcomp");
  const account = await original();
  const bad = await account.query("authenticate", auth("", "origcomp", "wrong password!"));
  assert.equal(bad.status, "BADAUTH");
  const ok = await account.query("authenticate", auth("", "origcomp", u.password));
  assert.equal(ok.status, "OK", ok.data.toString());
  const created = await account.query("createcomputer", "desk\npc");
  assert.equal(created.status, "OK", created.data.toString());
  const list = await account.query("listcomputers", "\n");
  assert.deepEqual(list.data.toString().split("\n").sort(), ["desk", "laptop"]);
  const desk = await original();
  assert.equal((await desk.query("authenticate", auth("desk", "origcomp", u.password))).status, "OK");
  // A channel connection needs its channel id as a fifth field (docs/protocol.md section 6a).
  const ch = await original();
  assert.equal((await ch.query("authenticate", `channel\norigcomp\ndesk\n${u.password}`)).status, "BADARGUMENTS");
  assert.deepEqual([...account.dropped, ...desk.dropped, ...ch.dropped], []);
});

test("stored messages from an original client to an SDK client, in the original's ids and layout", async () => {
  const alice = await h.user(REALM, "origalice");
  const bob = await h.user(REALM, "origbob");
  const c = await original();
  assert.equal((await c.query("authenticate", auth("laptop", "origalice", alice.password))).status, "OK");
  const id = `${ORIGINAL_REALM}:origalice-${Date.now()}o`;
  const created = await c.query("createmessage", `${id}\n${ORIGINAL_REALM}:origbob`);
  assert.equal(created.status, "OK", created.data.toString());
  const body = Buffer.from([0x68, 0x20, 0x0a, 0x0d, 0x00, 0xff, 0x20, 0x69]);
  const available = new Promise<string>((r) => bob.client.on("messageavailable", (x) => r(x.text)));
  const w = await c.query("writemessagedata", Buffer.concat([Buffer.from(`${id} 0 ${body.length} `), body]));
  assert.equal(w.status, "OK", w.data.toString());
  assert.equal((await c.query("getmessagesize", id)).data.toString(), String(body.length));
  assert.equal((await c.query("sendmessage", id)).status, "OK");
  // Stored under our form of the id; the SDK client reads the exact bytes.
  const ours = `${REALM}::origalice-${id.slice(`${ORIGINAL_REALM}:origalice-`.length)}`;
  assert.equal(await available, ours);
  assert.deepEqual(await bob.client.read(ours), body);
  const info = await bob.client.messageInfo(ours);
  assert.equal(info.sender, alice.userId);
  // A length that does not match the bytes after it is refused whole.
  const id2 = `${ORIGINAL_REALM}:origalice-${Date.now()}p`;
  assert.equal((await c.query("createmessage", `${id2}\n${ORIGINAL_REALM}:origbob laptop`)).status, "OK");
  assert.equal((await c.query("writemessagedata", `${id2} 0 9 short`)).status, "BADARGUMENTS");
  assert.equal((await c.query("getmessagesize", id2)).data.toString(), "0");
  assert.equal((await c.query("deletemessage", id2)).status, "OK");
  assert.deepEqual(c.dropped, []);
});

test("stored messages from an SDK client to an original client: push, list, info, read, delete", async () => {
  const carol = await h.user(REALM, "origcarol");
  const dave = await h.user(REALM, "origdave");
  const c = await original();
  assert.equal((await c.query("authenticate", auth("laptop", "origdave", dave.password))).status, "OK");
  const push = c.nextPush("messageavailable");
  const body = Buffer.alloc(70_000, 0x41);
  body.write("start ", 0);
  const id = await carol.client.send(carol.userId, [dave.userId], body);
  const p = await push;
  // The original server's push: p<ms>uid<n> messageavailable OK <id>.
  assert.match(p.id, /^p\d+uid\d+$/);
  assert.deepEqual([p.status, p.data.toString()], ["OK", id]);
  const list = await c.query("listinboundmessages");
  assert.deepEqual(list.data.toString().split("\n"), [id]);
  // getmessageinfo in the original's plain lines for an original-dialect connection.
  const info = await c.query("getmessageinfo", id);
  assert.deepEqual(info.data.toString().split("\n"), [carol.userId, "laptop", "true"]);
  const size = Number((await c.query("getmessagesize", id)).data.toString().trim());
  assert.equal(size, body.length);
  const parts: Buffer[] = [];
  for (let off = 0; off < size; off += 64_000) {
    const r = await c.query("readmessagedata", `${id}\n${off}\n${Math.min(64_000, size - off)}`);
    assert.equal(r.status, "OK");
    parts.push(r.data);
  }
  assert.deepEqual(Buffer.concat(parts), body);
  assert.equal((await c.query("deletemessage", id)).status, "OK");
  assert.equal((await c.query("listinboundmessages")).status, "OK");
  assert.deepEqual(c.dropped, []);
});

test("immediate messages between an original client and an SDK client, both ways", async () => {
  const erin = await h.user(REALM, "origerin");
  const frank = await h.user(REALM, "origfrank");
  const c = await original();
  assert.equal((await c.query("authenticate", auth("laptop", "origfrank", frank.password))).status, "OK");
  const push = c.nextPush("receiveimessage");
  await erin.client.sendImessage(frank.userId, "laptop", "hello from the sdk");
  const got = parseReceiveImessage((await push).data);
  assert.deepEqual([got.from, got.computer, got.body.toString()], [erin.userId, "laptop", "hello from the sdk"]);
  assert.ok(got.id.length > 0);

  const toSdk = new Promise<ReturnType<typeof decodeImmediateMessagePush>>((r) =>
    erin.client.on("receiveimessage", (x) => r(decodeImmediateMessagePush(x.data))),
  );
  const sent = await c.query("sendimessage", `im1 ${ORIGINAL_REALM}:origerin laptop hi there, erin`);
  assert.equal(sent.status, "OK", sent.data.toString());
  const m = await toSdk;
  assert.deepEqual([m?.from, m?.fromComputer, m?.text], [frank.userId, "laptop", "hi there, erin"]);
  assert.deepEqual(c.dropped, []);
});

test("getquotas answers the original's keys; searchusers pages past 50 with a total", async () => {
  const g = await h.user(REALM, "origgina");
  const c = await original();
  assert.equal((await c.query("authenticate", auth("laptop", "origgina", g.password))).status, "OK");
  const q = new Map(
    (await c.query("getquotas")).data
      .toString()
      .split("\n")
      .map((l) => l.split("=") as [string, string]),
  );
  for (const k of ["messagecache", "usersettingsize", "computers"]) assert.ok(Number(q.get(k)) > 0, k);
  assert.equal(q.get("usersettingsize"), String(128 * 1024));
  // 60 users whose names contain "zqx", made in SQL (hashing 60 passwords is slow and beside the point).
  const names = Array.from(
    { length: 60 },
    (_, i) => `mzqx${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`,
  );
  for (const n of names)
    await h.db.pool.query(
      `INSERT INTO users (id, "realmId", username, "usernameKey", "passwordHash") VALUES (gen_random_uuid()::text, $1, $2, $3, 'x')`,
      [REALM, n, foldUsername(n)],
    );
  const seen: string[] = [];
  for (let offset = 0; ; offset += 50) {
    const r = await c.query("searchusers", `zqx\n${offset}\n50\nfalse\n`);
    assert.equal(r.status, "OK");
    const [total, ...page] = r.data
      .toString()
      .split("\n")
      .filter((l) => l !== "");
    assert.equal(total, "60");
    assert.ok(page.length <= 50);
    seen.push(...page);
    if (page.length < 50) break;
  }
  // Every match exactly once over the pages.
  assert.equal(seen.length, 60);
  assert.deepEqual([...seen].sort(), [...names].sort());
  assert.deepEqual(c.dropped, []);
});

test("settings in the original's layouts: getusersetting username LF key, setcomputersetting computer LF key LF value", async () => {
  const hal = await h.user(REALM, "orighal");
  const ivy = await h.user(REALM, "origivy");
  const c = await original();
  assert.equal((await c.query("authenticate", auth("laptop", "orighal", hal.password))).status, "OK");
  assert.equal((await c.query("setusersetting", "public-motto\ncarpe diem")).status, "OK");
  assert.equal((await c.query("getusersetting", "\npublic-motto")).data.toString(), "carpe diem");
  // Unset: an empty OK, as the original answered.
  const unset = await c.query("getusersetting", "\npublic-nothing");
  assert.deepEqual([unset.status, unset.data.length], ["OK", 0]);
  await ivy.client.setUserSetting("public-color", "teal");
  assert.equal((await c.query("getusersetting", `${ORIGINAL_REALM}:origivy\npublic-color`)).data.toString(), "teal");
  assert.equal((await c.query("getusersetting", `${ORIGINAL_REALM}:origivy\nsecret`)).status, "UNAUTHORIZED");
  assert.equal((await c.query("setcomputersetting", "\ntheme\ndark")).status, "OK");
  assert.equal(await hal.client.getUserSetting("theme", hal.userId, "laptop"), "dark");
  assert.equal((await c.query("setcomputersetting", "phone\ntheme\nlight")).status, "UNAUTHORIZED");
  assert.deepEqual(c.dropped, []);
});
