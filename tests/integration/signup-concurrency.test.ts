// The user cap and an invite's uses hold under concurrency (registerAccount, real PostgreSQL).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { createInvite, createRealm } from "../helpers/signup-fixtures.ts";
import { registerAccount } from "../../lib/domain/registration.ts";
import { DomainError } from "../../lib/domain/errors.ts";

const PASSWORD = "correct horse battery";

function codes(results: PromiseSettledResult<unknown>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const k = r.status === "fulfilled" ? "OK" : r.reason instanceof DomainError ? r.reason.code : String(r.reason);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe("registration under concurrency", () => {
  let t: TestDb;
  before(async () => {
    t = await createTestDb();
  });
  after(async () => {
    await t.drop();
  });

  test("100 parallel signups against a realm with 10 free places create exactly 10 accounts", async () => {
    const realmId = await createRealm(t.prisma, { slug: "capped", port: 40001, registrationMode: "OPEN", userCap: 15 });
    // 5 places are already taken.
    await t.pool.query(`UPDATE realms SET "userCount" = 5 WHERE id = $1`, [realmId]);
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        registerAccount(t.pool, { realmId, username: `user${i}`, password: PASSWORD, captchaPassed: true }),
      ),
    );
    assert.deepEqual(codes(results), { OK: 10, REALMFULL: 90 });
    const users = await t.pool.query(`SELECT count(*)::int AS n FROM users WHERE "realmId" = $1`, [realmId]);
    assert.equal(users.rows[0].n, 10);
    const realm = await t.pool.query(`SELECT "userCount" FROM realms WHERE id = $1`, [realmId]);
    assert.equal(realm.rows[0].userCount, 15);
  });

  test("an invite with 3 uses is used exactly 3 times under 20 parallel attempts; pending returns to 0", async () => {
    const realmId = await createRealm(t.prisma, {
      slug: "invited",
      port: 40002,
      registrationMode: "INVITE",
      userCap: 100,
    });
    const inviteId = await createInvite(t.prisma, realmId, "three-uses-code", 3);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        registerAccount(t.pool, {
          realmId,
          username: `guest${i}`,
          password: PASSWORD,
          inviteCode: "three-uses-code",
          captchaPassed: false,
        }),
      ),
    );
    assert.deepEqual(codes(results), { OK: 3, BADINVITE: 17 });
    const inv = await t.pool.query(`SELECT pending, completed FROM invites WHERE id = $1`, [inviteId]);
    assert.deepEqual(inv.rows[0], { pending: 0, completed: 3 });
    const users = await t.pool.query(`SELECT count(*)::int AS n FROM users WHERE "realmId" = $1`, [realmId]);
    assert.equal(users.rows[0].n, 3);
  });

  test("an invite use is never held outside the signup's transaction: pending stays 0 while 20 signups run", async () => {
    const realmId = await createRealm(t.prisma, { slug: "nopending", port: 40005, registrationMode: "INVITE" });
    const inviteId = await createInvite(t.prisma, realmId, "no-pending-code", 5);
    // Before, a use was reserved (pending + 1) before the password was hashed and given back in
    // a separate statement: a crash in between leaked it for good. Now the only write is inside
    // the transaction that inserts the user, so nothing outside it can ever observe a pending use.
    let running = true;
    let maxPending = 0;
    const watcher = (async () => {
      while (running) {
        const r = await t.pool.query<{ pending: number }>(`SELECT pending FROM invites WHERE id = $1`, [inviteId]);
        maxPending = Math.max(maxPending, r.rows[0].pending);
        await new Promise((res) => setTimeout(res, 2));
      }
    })();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        registerAccount(t.pool, {
          realmId,
          username: `np${i}`,
          password: PASSWORD,
          inviteCode: "no-pending-code",
          captchaPassed: false,
        }),
      ),
    );
    running = false;
    await watcher;
    assert.deepEqual(codes(results), { OK: 5, BADINVITE: 15 });
    assert.equal(maxPending, 0, "no use was ever pending");
    const inv = await t.pool.query(`SELECT pending, completed FROM invites WHERE id = $1`, [inviteId]);
    assert.deepEqual(inv.rows[0], { pending: 0, completed: 5 });
  });

  test("a failed signup (taken name) gives the invite use back", async () => {
    const realmId = await createRealm(t.prisma, { slug: "giveback", port: 40003, registrationMode: "INVITE" });
    const inviteId = await createInvite(t.prisma, realmId, "three-uses-b", 3);
    await registerAccount(t.pool, {
      realmId,
      username: "Alice",
      password: PASSWORD,
      inviteCode: "three-uses-b",
      captchaPassed: false,
    });
    // Same name, other case and full-width: folds to the same key.
    const results = await Promise.allSettled(
      ["ALICE", "Ａｌｉｃｅ"].map((username) =>
        registerAccount(t.pool, {
          realmId,
          username,
          password: PASSWORD,
          inviteCode: "three-uses-b",
          captchaPassed: false,
        }),
      ),
    );
    assert.equal(
      results.filter(
        (r) => r.status === "rejected" && r.reason instanceof DomainError && r.reason.code === "ALREADYEXISTS",
      ).length,
      2,
    );
    const inv = await t.pool.query(`SELECT pending, completed FROM invites WHERE id = $1`, [inviteId]);
    assert.deepEqual(inv.rows[0], { pending: 0, completed: 1 });
  });

  test("50 parallel signups for one username create exactly one account and count one place", async () => {
    const realmId = await createRealm(t.prisma, {
      slug: "samename",
      port: 40004,
      registrationMode: "OPEN",
      userCap: 100,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        registerAccount(t.pool, { realmId, username: i % 2 ? "Bob" : "bob", password: PASSWORD, captchaPassed: true }),
      ),
    );
    assert.deepEqual(codes(results), { OK: 1, ALREADYEXISTS: 49 });
    const realm = await t.pool.query(`SELECT "userCount" FROM realms WHERE id = $1`, [realmId]);
    assert.equal(realm.rows[0].userCount, 1);
  });
});
