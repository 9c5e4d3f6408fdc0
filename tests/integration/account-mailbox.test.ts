// The account page's changes and the browser mailbox, against a real realm daemon: storage
// breakdown, removing a computer (deletecomputer's semantics, shared code), changing the
// password, the shared codec on plain Uint8Array and the browser-safe envelope (byte-compatible
// with the CLI), and the mailbox client over the WebSocket transport, live updates included.
import { messageOverheadBytes } from "../../lib/domain/quota-rule.ts";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { verifyPassword } from "../../lib/auth/password.ts";
import { getAccountOverview } from "../../lib/account/overview.ts";
import { changePassword, removeComputer } from "../../lib/account/changes.ts";
import { loadRealmUser, type RealmUser } from "../../lib/account/realm-user.ts";
import {
  decodeEnvelope as webDecodeEnvelope,
  encodeEnvelope as webEncodeEnvelope,
  bodyText,
} from "../../lib/envelope.ts";
import {
  openMailbox,
  RealmError,
  RealmSocket,
  WEB_COMPUTER,
  type WebSocketFactory,
  type WebSocketLike,
} from "../../lib/account/mailbox-client.ts";
import { realmWsUrl } from "../../lib/account/ws-url.ts";
import {
  bytesToText,
  decodeRequest,
  decodeServerPacket,
  encodeNotification,
  encodeReply,
  encodeRequest,
  joinFieldsWithTrailingData,
  keyValuesOf,
  splitWithTrailingData,
} from "../../lib/protocol/index.ts";

let h: RealmHarness;
let wsUrl: string;
const factory: WebSocketFactory = (url) => new WebSocket(url) as unknown as WebSocketLike;

before(async () => {
  h = await startRealmHarness();
  wsUrl = realmWsUrl({
    envBase: `ws://127.0.0.1:${h.daemon.httpPort}`,
    hostHeader: "ignored",
    https: false,
    slug: "plain",
  });
});
after(async () => h.stop());

async function realmUser(username: string): Promise<RealmUser> {
  const r = await h.db.pool.query<{ id: string; sessionEpoch: number }>(
    `SELECT id, "sessionEpoch" FROM users WHERE "realmId" = $1 AND "usernameKey" = $2`,
    [h.plainRealm, username.toLowerCase()],
  );
  const u = await loadRealmUser(h.db.pool, {
    kind: "realm-user",
    userId: r.rows[0].id,
    realmId: h.plainRealm,
    username,
    sessionEpoch: r.rows[0].sessionEpoch,
  });
  assert.ok(u);
  return u;
}

test("the WebSocket URL: configured base or the daemon's default port on the page's host", () => {
  assert.equal(
    realmWsUrl({ envBase: undefined, hostHeader: "example.org:3000", https: false, slug: "trivergia" }),
    "ws://example.org:63780/ws/trivergia",
  );
  assert.equal(
    realmWsUrl({ envBase: undefined, hostHeader: "[::1]:3000", https: true, slug: "x" }),
    "wss://[::1]:63780/ws/x",
  );
  assert.equal(
    realmWsUrl({ envBase: "wss://realm.example.org/og/", hostHeader: "h", https: true, slug: "a" }),
    "wss://realm.example.org/og/ws/a",
  );
  assert.throws(() => realmWsUrl({ envBase: "http://nope", hostHeader: "h", https: false, slug: "a" }), /ws:\/\//);
});

test("the mailbox's codec is lib/protocol's, on plain Uint8Array; the envelope is byte-compatible with the CLI", () => {
  // The browser mailbox has no codec of its own any more: it sends what encodeRequest makes and
  // reads what decodeServerPacket reads (tests/unit/protocol/browser-codec.test.ts runs them
  // without Buffer). Here: plain Uint8Array in, plain Uint8Array out, no Buffer conversion.
  const wire = encodeRequest("w1", "Authenticate", ["alice", "web", "pässword"]);
  assert.equal(Buffer.isBuffer(wire), false);
  const req = decodeRequest(wire);
  assert.ok(req.ok);
  assert.deepEqual(
    [req.value.id, req.value.command, bytesToText(req.value.args)],
    ["w1", "authenticate", "alice\nweb\npässword"],
  );
  const data = new Uint8Array([0, 10, 13, 255, 7]);
  const split = splitWithTrailingData(joinFieldsWithTrailingData(["id-1", "0", "5"], data), 3, 2);
  assert.ok(split.ok && Buffer.from(split.value.data).equals(Buffer.from(data)));
  const reply = decodeServerPacket(new Uint8Array(encodeReply("w2", "getmessageinfo", "OK", ["sender=a", "size=3"])));
  assert.ok(reply.ok && reply.value.kind === "reply");
  assert.deepEqual(
    { ...reply.value, data: Object.fromEntries(keyValuesOf(reply.value.data)) },
    {
      kind: "reply",
      id: "w2",
      command: "getmessageinfo",
      status: "OK",
      data: { sender: "a", size: "3" },
    },
  );
  const bare = decodeServerPacket(new Uint8Array(encodeReply("w3", "ping", "NOSUCHMESSAGE")));
  assert.ok(bare.ok);
  assert.deepEqual(
    { ...bare.value, data: bare.value.data.length },
    {
      kind: "reply",
      id: "w3",
      command: "ping",
      status: "NOSUCHMESSAGE",
      data: 0,
    },
  );
  const n = decodeServerPacket(encodeNotification("messageavailable", "x::y-1"));
  assert.equal(n.ok && n.value.kind, "notification");
  assert.equal(decodeServerPacket(new Uint8Array(0)).ok, false);
  assert.equal(decodeServerPacket(new TextEncoder().encode("bad packet header with spaces\n")).ok, false);

  const body = new TextEncoder().encode("héllo\n");
  const fromWeb = webEncodeEnvelope({ subject: "Hi", contentType: "text/plain; charset=utf-8" }, body);
  assert.equal(
    Buffer.from(fromWeb).toString("utf8"),
    '{"og":"message/1","subject":"Hi","contentType":"text/plain; charset=utf-8","size":7}\nhéllo\n',
  );
  const cli = webDecodeEnvelope(Buffer.from(fromWeb));
  assert.deepEqual([cli.header.subject, Buffer.from(cli.body).toString("utf8"), cli.raw], ["Hi", "héllo\n", false]);
  const back = webDecodeEnvelope(webEncodeEnvelope({ filename: "a.bin" }, Buffer.from([1, 0, 2])));
  assert.deepEqual(
    [back.header.filename, [...back.body], bodyText(back.header, back.body, back.raw)],
    ["a.bin", [1, 0, 2], null],
  );
  const raw = webDecodeEnvelope(new TextEncoder().encode("plain"));
  assert.deepEqual([raw.raw, bodyText(raw.header, raw.body, raw.raw)], [true, "plain"]);
});

test("mailbox over WebSocket: creates the web computer once, sends to an SDK user, gets replies live", async () => {
  const sdk = await h.user(h.plainRealm, "dora");
  const web = await h.user(h.plainRealm, "emil", { password: "a long secret for e" });
  web.client.close();

  await assert.rejects(
    openMailbox({ url: wsUrl, username: "emil", password: "wrong password", factory }),
    (e: unknown) => e instanceof RealmError && e.status === "BADAUTH",
  );
  const first = await openMailbox({ url: wsUrl, username: "emil", password: "a long secret for e", factory });
  assert.equal(first.createdComputer, true);
  assert.equal(first.userId, `${h.plainRealm}::emil`);
  assert.deepEqual(
    (
      await h.db.pool.query(
        `SELECT name FROM computers c JOIN users u ON u.id = c."userId" WHERE u.username = 'emil' ORDER BY name`,
      )
    ).rows.map((r) => r.name),
    ["laptop", WEB_COMPUTER],
  );
  first.socket.close();
  const m = await openMailbox({ url: wsUrl, username: "emil", password: "a long secret for e", factory });
  assert.equal(m.createdComputer, false);

  // Browser → SDK client: the CLI envelope, readable by the SDK.
  const text = new TextEncoder().encode("Lunch at noon?");
  const id = await m.socket.send(
    m.userId,
    [sdk.userId],
    webEncodeEnvelope({ subject: "Lunch", contentType: "text/plain; charset=utf-8" }, text),
  );
  const got = webDecodeEnvelope(await sdk.client.read(id));
  assert.deepEqual([got.header.subject, got.body.toString("utf8")], ["Lunch", "Lunch at noon?"]);

  // SDK client → browser, announced live with messageavailable.
  const arrived = new Promise<string>((resolve) =>
    m.socket.onNotification((ev, data) => ev === "messageavailable" && resolve(new TextDecoder().decode(data))),
  );
  const big = Buffer.alloc(150_000, 7);
  const replyId = await sdk.client.send(
    sdk.userId,
    [m.userId],
    webEncodeEnvelope({ subject: "Re: Lunch", filename: "photo.bin" }, big),
  );
  assert.equal(await arrived, replyId);
  assert.deepEqual(await m.socket.inbox(), [replyId]);
  const summary = await m.socket.describe(replyId);
  assert.deepEqual(
    [summary.sender, summary.subject, summary.filename, summary.storedBytes > big.length],
    [sdk.userId, "Re: Lunch", "photo.bin", true],
  );
  const whole = webDecodeEnvelope(await m.socket.read(replyId));
  assert.equal(whole.body.length, big.length);
  await m.socket.deleteMessage(replyId);
  assert.deepEqual(await m.socket.inbox(), []);

  // Errors come back as status words.
  await assert.rejects(
    m.socket.send(m.userId, [`${h.plainRealm}::nobody`], text),
    (e: unknown) => e instanceof RealmError && e.status === "NOSUCHUSER",
  );
  m.socket.close();
  await assert.rejects(RealmSocket.open(wsUrl.replace("/ws/plain", "/ws/unknown"), { factory, timeoutMs: 5000 }));
});

test("account page: storage breakdown, removing a computer releases its messages, password change", async () => {
  const sender = await h.user(h.plainRealm, "fred");
  await h.user(h.plainRealm, "gina", { computer: "phone", password: "a long secret for g" });
  const gina = await realmUser("gina");
  const id = await sender.client.send(sender.userId, [`${h.plainRealm}::gina phone`], Buffer.alloc(5000, 1));
  assert.ok(id);
  await h.db.pool.query(
    `INSERT INTO settings ("userId", computer, key, value) VALUES ((SELECT id FROM users WHERE username = 'gina'), 'phone', 'k', 'v')`,
  );

  const fredUser = await realmUser("fred");
  const before = await getAccountOverview(h.db.pool, fredUser.userId);
  assert.equal(before?.quotas.messageBytes, 5000n + messageOverheadBytes(1));
  assert.equal(before?.quotas.bytesUsed, 5000n + messageOverheadBytes(1));
  assert.equal(before?.quotas.quotaBytes, 10n * 1024n * 1024n);
  assert.deepEqual(
    before?.computers.map((c) => [c.name, c.online]),
    [["laptop", true]],
  );

  assert.deepEqual(await removeComputer(h.db.pool, gina, { name: "tablet" }), {
    ok: false,
    status: 404,
    error: "You have no computer named “tablet”.",
  });
  assert.equal((await removeComputer(h.db.pool, gina, { name: "" })).status, 400);
  const r = await removeComputer(h.db.pool, gina, { name: "phone" });
  assert.equal(r.ok, true);
  assert.equal(
    (await getAccountOverview(h.db.pool, fredUser.userId))?.quotas.messageBytes,
    0n,
    "the sender's bytes are released",
  );
  assert.equal((await getAccountOverview(h.db.pool, gina.userId))?.computers.length, 0);
  assert.equal((await h.db.pool.query(`SELECT 1 FROM settings WHERE computer = 'phone'`)).rowCount, 0);

  const bad = await changePassword(h.db.pool, gina, {
    current: "nope",
    password: "another long one 1",
    confirm: "another long one 1",
  });
  assert.deepEqual(bad.ok ? null : bad.fieldErrors, { current: ["That is not your current password."] });
  const mismatch = await changePassword(h.db.pool, gina, {
    current: "a long secret for g",
    password: "another long one 1",
    confirm: "another long one 2",
  });
  assert.deepEqual(mismatch.ok ? null : Object.keys(mismatch.fieldErrors ?? {}), ["confirm"]);
  const weak = await changePassword(h.db.pool, gina, {
    current: "a long secret for g",
    password: "ginaginagina1",
    confirm: "ginaginagina1",
  });
  assert.match(weak.ok ? "" : (weak.fieldErrors?.password?.[0] ?? ""), /username/);
  const good = await changePassword(h.db.pool, gina, {
    current: "a long secret for g",
    password: "a fresh passphrase 7",
    confirm: "a fresh passphrase 7",
  });
  assert.equal(good.ok, true);
  const row = await h.db.pool.query<{ passwordHash: string }>(`SELECT "passwordHash" FROM users WHERE id = $1`, [
    gina.userId,
  ]);
  assert.ok(await verifyPassword(row.rows[0].passwordHash, "a fresh passphrase 7"));
  // The realm daemon accepts the new password at once.
  const c = await h.connect(h.plainRealm);
  assert.equal(await c.authenticate("gina", "", "a fresh passphrase 7"), `${h.plainRealm}::gina`);
});

test("wrong current passwords on the web count in the account's sign-in bucket", async () => {
  await h.user(h.plainRealm, "hank", { password: "a long secret for h" });
  const hank = await realmUser("hank");
  let last = "";
  for (let i = 0; i < 11; i++) {
    const r = await changePassword(h.db.pool, hank, {
      current: `guess ${i}`,
      password: "whatever long 12",
      confirm: "whatever long 12",
    });
    last = r.ok ? "ok" : String(r.status);
  }
  assert.equal(last, "429");
  const again = await changePassword(h.db.pool, hank, {
    current: "a long secret for h",
    password: "whatever long 12",
    confirm: "whatever long 12",
  });
  assert.equal(again.ok ? 200 : again.status, 429);
});

test("the protocol's deletecomputer runs the same shared code: bytes released, the computer's live session banned", async () => {
  const ivan = await h.user(h.plainRealm, "ivan", { password: "a long secret for i" });
  const judy = await h.user(h.plainRealm, "judy");
  await ivan.client.createComputer("tablet");
  const tablet = await h.connect(h.plainRealm);
  await tablet.authenticate("ivan", "tablet", "a long secret for i");
  const closed = new Promise<void>((resolve) => tablet.onClose(() => resolve()));
  await judy.client.send(judy.userId, [`${ivan.userId} tablet`], Buffer.alloc(3000, 3));
  const judyBytes = async () =>
    String(
      (await h.db.pool.query<{ messageBytes: string }>(`SELECT "messageBytes" FROM users WHERE username = 'judy'`))
        .rows[0].messageBytes,
    );
  assert.equal(await judyBytes(), String(3000n + messageOverheadBytes(1)));
  await ivan.client.deleteComputer("tablet");
  await closed;
  assert.equal(await judyBytes(), "0");
  assert.deepEqual(await ivan.client.listComputers(), ["laptop"]);
  await assert.rejects(ivan.client.deleteComputer("tablet"), /NOSUCHCOMPUTER/);
});
