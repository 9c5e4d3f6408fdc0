// Immediate messages with per-sender rates, user status, search, settings visibility, and the
// plain-TCP rule.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { OpenGrooveError } from "../../client/sdk/index.ts";
import { decodeImmediateMessagePush } from "../../lib/protocol/index.ts";
import { configFromEnv, realmEnvSchema } from "../../realm-daemon/config.ts";
import { parseEnv } from "../../lib/config/env.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

test("immediate messages reach an online computer and respect the recipient's rate per sender", async () => {
  const a = await h.user(h.plainRealm, "imsender");
  const b = await h.user(h.plainRealm, "imreceiver");
  await h.db.pool.query(`UPDATE users SET "imessageRatePerMinute" = 3 WHERE username = 'imreceiver'`);
  const got: string[] = [];
  b.client.on("receiveimessage", (r) => {
    // The original server's layout: id SP sender SP computer SP text.
    const m = decodeImmediateMessagePush(r.data);
    assert.match(r.text, /^\S+ \S+ laptop /);
    got.push(m ? `${m.from}|${m.fromComputer}|${m.text}` : "unreadable");
  });
  const rejected = new Promise<string>((r) => a.client.on("imessagerejected", (x) => r(x.text)));
  for (let i = 0; i < 3; i++) await a.client.sendImessage(b.userId, "laptop", `hi ${i}`);
  await assert.rejects(
    a.client.sendImessage(b.userId, "laptop", "one too many"),
    (e: OpenGrooveError) => e.status === "RATELIMITED",
  );
  assert.match(await rejected, /rate limit of 3 per minute/);
  await assert.rejects(
    a.client.sendImessage(b.userId, "phone", "nobody there"),
    (e: OpenGrooveError) => e.status === "NOSUCHCOMPUTER",
  );
  const deadline = Date.now() + 1000;
  while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(
    got,
    [0, 1, 2].map((i) => `${a.userId}|laptop|hi ${i}`),
  );
});

test("an immediate message of the full 16 KiB limit arrives whole (not capped by the NOTIFY payload)", async () => {
  const a = await h.user(h.plainRealm, "imbig");
  const b = await h.user(h.plainRealm, "imbigto");
  const max = h.daemon.config.limits.maxImessageBytes;
  assert.equal(max, 16 * 1024);
  // Multi-byte text right at the limit: 3-byte characters, padded to exactly max bytes.
  const text = "€".repeat(Math.floor(max / 3)) + "x".repeat(max % 3);
  assert.equal(Buffer.byteLength(text), max);
  const got = new Promise<string[]>((r) =>
    b.client.on("receiveimessage", (x) => {
      const m = decodeImmediateMessagePush(x.data);
      r(m ? [m.from, m.fromComputer, m.text] : []);
    }),
  );
  await a.client.sendImessage(b.userId, "laptop", text);
  assert.deepEqual(await got, [a.userId, "laptop", text]);
  // One byte more is refused with TOOLARGE, as before.
  await assert.rejects(
    a.client.sendImessage(b.userId, "laptop", text + "x"),
    (e: OpenGrooveError) => e.status === "TOOLARGE",
  );
});

test("user status, search and settings: public- keys readable by others, the rest private", async () => {
  const a = await h.user(h.plainRealm, "statusa");
  const b = await h.user(h.plainRealm, "statusb");
  assert.deepEqual(await a.client.userStatus(b.userId), { online: true, computers: ["laptop"] });
  b.client.close();
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await a.client.userStatus(b.userId), { online: false, computers: [] });
  assert.deepEqual(await a.client.searchUsers("STATUS"), [a.userId, b.userId]);
  assert.deepEqual(await a.client.searchUsers("zzz"), []);
  await a.client.setUserSetting("public-motto", "hello");
  await a.client.setUserSetting("secret-note", "mine");
  const c = await h.user(h.plainRealm, "statusc");
  assert.equal(await c.client.getUserSetting("public-motto", a.userId), "hello");
  await assert.rejects(
    c.client.getUserSetting("secret-note", a.userId),
    (e: OpenGrooveError) => e.status === "UNAUTHORIZED",
  );
  assert.equal(await a.client.getUserSetting("secret-note"), "mine");
  assert.equal(await a.client.getUserSetting("missing"), null);
});

test("the computers-per-user limit holds", async () => {
  const u = await h.user(h.plainRealm, "manypcs");
  await h.db.pool.query(`UPDATE realms SET "maxComputersPerUser" = 3 WHERE id = $1`, [h.plainRealm]);
  try {
    const results = await Promise.allSettled(["a", "b", "c", "d", "e"].map((n) => u.client.createComputer(n)));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 2, "laptop + 2 more = 3");
    assert.equal((await u.client.listComputers()).length, 3);
  } finally {
    await h.db.pool.query(`UPDATE realms SET "maxComputersPerUser" = 8 WHERE id = $1`, [h.plainRealm]);
  }
});

test("plain TCP is refused unless bound to loopback", () => {
  const env = { DATABASE_URL: "postgresql://u:p@127.0.0.1/x", OPENGROOVE_REALM_PLAIN_TCP: "true" };
  assert.throws(
    () => configFromEnv(parseEnv(realmEnvSchema, { ...env, OPENGROOVE_REALM_BIND_HOST: "0.0.0.0" })),
    /only allowed on a loopback address/,
  );
  assert.equal(
    configFromEnv(parseEnv(realmEnvSchema, { ...env, OPENGROOVE_REALM_BIND_HOST: "127.0.0.1" })).plainTcp,
    true,
  );
  assert.equal(
    configFromEnv(parseEnv(realmEnvSchema, { DATABASE_URL: env.DATABASE_URL })).plainTcp,
    false,
    "TLS by default",
  );
});
