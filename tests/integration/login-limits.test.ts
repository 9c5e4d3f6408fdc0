// Login limits over real TLS sockets (lib/domain/login-limits.ts): the per-address limit is
// consulted before the password, a lockout answers the same whatever the password, setpassword
// counts under the same limits, and a password change (protocol or web) ends the other sessions.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { LOGIN_LIMITS, LOCKOUT_REASON } from "../../lib/domain/login-limits.ts";
import { changePassword } from "../../lib/account/changes.ts";
import { loadRealmUser } from "../../lib/account/realm-user.ts";

const ACCOUNT_LIMIT = 3;
let h: RealmHarness;
before(async () => {
  h = await startRealmHarness({ authFailuresPerWindow: ACCOUNT_LIMIT });
});
after(async () => h.stop());
beforeEach(async () => {
  await h.db.pool.query(`DELETE FROM rate_limit_buckets`);
});

async function attempt(username: string, password: string): Promise<{ status: string; text: string }> {
  const c = await h.connect(h.plainRealm);
  try {
    const r = await c.request("authenticate", [username, "", password]);
    return { status: r.status, text: r.text };
  } finally {
    c.close();
  }
}

test("during an account lockout the right and a wrong password get the identical reply", async () => {
  const { password } = await h.user(h.plainRealm, "locked1");
  for (let i = 0; i < ACCOUNT_LIMIT; i++) assert.equal((await attempt("locked1", `guess ${i}`)).status, "BADAUTH");
  const right = await attempt("locked1", password);
  const wrong = await attempt("locked1", "another guess");
  assert.deepEqual(right, { status: "RATELIMITED", text: LOCKOUT_REASON });
  assert.deepEqual(wrong, right);
  // The lockout never looks at the password: even a hash that cannot be verified is not read.
  await h.db.pool.query(`UPDATE users SET "passwordHash" = 'not a hash' WHERE username = 'locked1'`);
  assert.deepEqual(await attempt("locked1", password), right);
});

test("the per-address limit is consulted before the password: a right password for another account waits", async () => {
  const { password } = await h.user(h.plainRealm, "spraytarget");
  // A password spray: one guess each for many accounts, from one address.
  for (let i = 0; i < LOGIN_LIMITS.ip.limit; i++) {
    const r = await attempt(`sprayed${i}`, "Summer2026!");
    assert.equal(r.status, "BADAUTH", `attempt ${i}`);
  }
  assert.deepEqual(await attempt("spraytarget", password), { status: "RATELIMITED", text: LOCKOUT_REASON });
});

test("more right passwords at once than either limit all get in: they wait for slots, nothing counts as a failure", async () => {
  // 12 accounts × 5 logins each, all at once from one address: 60 > the per-address limit (50)
  // and 5 > the per-account one (3). Clients behind one NAT reconnecting after a restart.
  const users = await Promise.all(Array.from({ length: 12 }, (_, i) => h.user(h.plainRealm, `crowd${i}`)));
  const tries = users.flatMap((u, i) => Array.from({ length: 5 }, () => attempt(`crowd${i}`, u.password)));
  const replies = await Promise.all(tries);
  assert.deepEqual(
    replies.filter((r) => r.status !== "OK"),
    [],
  );
  const b = await h.db.pool.query<{ count: number; pending: number }>(
    `SELECT count, pending FROM rate_limit_buckets WHERE key LIKE 'auth-ip:%'`,
  );
  assert.deepEqual(b.rows, [{ count: 0, pending: 0 }]);
});

test("concurrent wrong guesses get exactly the limit's password checks, and a refusal is not a failure", async () => {
  const { password } = await h.user(h.plainRealm, "raced1");
  const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt("raced1", `guess ${i}`)));
  assert.equal(replies.filter((r) => r.status === "BADAUTH").length, ACCOUNT_LIMIT);
  assert.equal(replies.filter((r) => r.status === "RATELIMITED").length, 20 - ACCOUNT_LIMIT);
  const b = await h.db.pool.query<{ key: string; count: number; pending: number }>(
    `SELECT key, count, pending FROM rate_limit_buckets`,
  );
  // The address counts the 3 checked guesses (plus nothing for the 17 refused), the account too.
  assert.deepEqual(b.rows.map((r) => [r.key.split(":")[0], r.count, r.pending]).sort(), [
    ["auth", ACCOUNT_LIMIT, 0],
    ["auth-ip", ACCOUNT_LIMIT, 0],
  ]);
  assert.deepEqual(await attempt("raced1", password), { status: "RATELIMITED", text: LOCKOUT_REASON });
});

test("setpassword counts wrong current passwords under the same limits", async () => {
  const { client, password } = await h.user(h.plainRealm, "setpw1");
  for (let i = 0; i < ACCOUNT_LIMIT; i++)
    assert.equal((await client.request("setpassword", [`wrong ${i}`, "a brand new passphrase"])).status, "BADAUTH");
  const r = await client.request("setpassword", [password, "a brand new passphrase"]);
  assert.deepEqual({ status: r.status, text: r.text }, { status: "RATELIMITED", text: LOCKOUT_REASON });
});

test("a protocol password change ends the account's other sessions and keeps this one", async () => {
  const a = await h.user(h.plainRealm, "changer", { computer: "laptop" });
  await h.db.pool.query(
    `INSERT INTO computers (id, "userId", name) SELECT gen_random_uuid(), id, 'phone' FROM users WHERE username = 'changer'`,
  );
  const other = await h.connect(h.plainRealm);
  await other.authenticate("changer", "phone", a.password);
  const banned = new Promise<string>((r) => other.on("banned", (x) => r(x.text)));
  await a.client.setPassword(a.password, "a brand new passphrase");
  assert.match(await banned, /signed out/);
  await a.client.ping();
  assert.equal((await a.client.request("listcomputers")).status, "OK");
  const again = await h.connect(h.plainRealm);
  assert.equal(await again.authenticate("changer", "phone", "a brand new passphrase"), a.userId);
});

test("a web password change ends the protocol sessions", async () => {
  const a = await h.user(h.plainRealm, "webchanger");
  const banned = new Promise<string>((r) => a.client.on("banned", (x) => r(x.text)));
  const row = await h.db.pool.query<{ id: string; sessionEpoch: number }>(
    `SELECT id, "sessionEpoch" FROM users WHERE username = 'webchanger'`,
  );
  const user = await loadRealmUser(h.db.pool, {
    kind: "realm-user",
    userId: row.rows[0].id,
    realmId: h.plainRealm,
    username: "webchanger",
    sessionEpoch: row.rows[0].sessionEpoch,
  });
  assert.ok(user);
  const r = await changePassword(h.db.pool, user, {
    current: a.password,
    password: "a web-chosen passphrase",
    confirm: "a web-chosen passphrase",
  });
  assert.equal(r.ok, true);
  assert.match(await banned, /signed out/);
});
