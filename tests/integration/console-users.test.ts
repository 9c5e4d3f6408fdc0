// Users of a realm: prefix search with keyset pages over 10,000+ users (index range scan, fast),
// the user page's figures, and the operator's writes (suspend bumps sessionEpoch and notifies).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { foldUsername } from "../../lib/domain/usernames.ts";
import {
  adminActor,
  createConsoleFixture,
  operatorAActor,
  type ConsoleFixture,
} from "../e2e/helpers/console-fixtures.ts";
import { executeCommand, type CommandContext } from "../../lib/console/command.ts";
import {
  countUsersWithPrefix,
  getUserDetail,
  resetUserPassword,
  searchUsers,
  setUserStatus,
  updateUserLimits,
  userSearchSql,
} from "../../lib/console/users.ts";
import { Prisma } from "../../lib/generated/prisma/client.ts";
import { verifyPassword } from "../../lib/auth/password.ts";
import { CHANNELS } from "../../lib/db/notify.ts";

let db: TestDb;
let f: ConsoleFixture;
const BIG = "big.example:1";

before(async () => {
  db = await createTestDb();
  f = await createConsoleFixture(db.prisma);
  await db.prisma.realm.create({
    data: {
      id: BIG,
      host: "big.example",
      port: 1,
      slug: "big",
      name: "Big",
      registrationMode: "OPEN",
      userCap: 100_000,
      defaultQuotaBytes: 1n << 30n,
    },
  });
  await db.pool.query(
    `INSERT INTO users (id, "realmId", username, "usernameKey", "passwordHash")
     SELECT gen_random_uuid()::text, $1, 'User' || lpad(i::text, 5, '0'), $2 || translate(lpad(i::text, 5, '0'), '01', $3), 'x' FROM generate_series(1, 12000) i`,
    // The keys foldUsername gives (confusable skeletons: "0" and "1" fold to "O" and "l").
    [BIG, foldUsername("user"), foldUsername("01")],
  );
  assert.equal(foldUsername("User00051"), `${foldUsername("user")}OOO5l`);
  await db.prisma.user.createMany({
    data: ["a_b", "axb", "a%c", "Ärger", "zed"].map((u) => ({
      realmId: BIG,
      username: u,
      usernameKey: foldUsername(u),
      passwordHash: "x",
    })),
  });
  await db.pool.query("ANALYZE users");
});
after(async () => db.drop());

const ctx = (): CommandContext => ({ prisma: db.prisma, actor: operatorAActor(f), ip: null });

test("prefix search is case-insensitive and treats % and _ literally", async () => {
  assert.deepEqual(
    (await searchUsers(db.prisma, BIG, { query: "A_" })).rows.map((r) => r.username),
    ["a_b"],
  );
  assert.deepEqual(
    (await searchUsers(db.prisma, BIG, { query: "a%" })).rows.map((r) => r.username),
    ["a%c"],
  );
  assert.deepEqual(
    (await searchUsers(db.prisma, BIG, { query: "äR" })).rows.map((r) => r.username),
    ["Ärger"],
  );
  assert.equal(await countUsersWithPrefix(db.prisma, BIG, "USER0001"), 10);
  assert.equal(await countUsersWithPrefix(db.prisma, BIG, ""), 12005);
  // Another realm's users never show up.
  assert.equal((await searchUsers(db.prisma, f.realmA.id, { query: "user" })).rows.length, 0);
});

test("keyset pages walk all 12,000 matches forward and back without gaps or repeats", async () => {
  const seen: string[] = [];
  let after: string | undefined;
  let pages = 0;
  const t0 = performance.now();
  do {
    const page = await searchUsers(db.prisma, BIG, { query: "user", after, limit: 200 });
    seen.push(...page.rows.map((r) => r.usernameKey));
    after = page.nextAfter ?? undefined;
    pages++;
  } while (after);
  const perPage = (performance.now() - t0) / pages;
  assert.equal(seen.length, 12000);
  assert.equal(new Set(seen).size, 12000);
  assert.deepEqual(seen, [...seen].sort());
  assert.ok(perPage < 50, `a page took ${perPage.toFixed(1)} ms on average`);

  // Keys sort by skeleton (not numerically): page 2 starts right after page 1's last key, and
  // going back from page 2 gives page 1 again.
  const p1 = await searchUsers(db.prisma, BIG, { query: "user", limit: 50 });
  assert.deepEqual(
    p1.rows.map((r) => r.usernameKey),
    seen.slice(0, 50),
  );
  const p2 = await searchUsers(db.prisma, BIG, { query: "user", after: p1.nextAfter!, limit: 50 });
  assert.equal(p2.rows[0].usernameKey, seen[50]);
  const back = await searchUsers(db.prisma, BIG, { query: "user", before: p2.prevBefore!, limit: 50 });
  assert.equal(back.rows[0].usernameKey, seen[0]);
  assert.equal(back.rows.at(-1)!.usernameKey, seen[49]);
  assert.equal(back.prevBefore, null, "first page has no previous page");
  assert.equal(back.nextAfter, seen[49]);
});

test("the search is an index range scan, and a deep page is as fast as the first", async () => {
  const { sql } = userSearchSql(BIG, { query: "user", after: foldUsername("user11000") });
  const plan = await db.prisma.$queryRaw<Record<string, string>[]>(Prisma.sql`EXPLAIN ${sql}`);
  const text = plan.map((r) => r["QUERY PLAN"]).join("\n");
  assert.match(text, /Index (Only )?Scan using "?users_realmId_usernameKey_key"?/, text);
  assert.doesNotMatch(text, /Seq Scan|Sort/, text);
  const time = async (after?: string) => {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await searchUsers(db.prisma, BIG, { query: "user", after, limit: 50 });
    return (performance.now() - t0) / 20;
  };
  const first = await time();
  const deep = await time("user11900");
  assert.ok(deep < Math.max(first * 3, 20), `deep page ${deep.toFixed(1)} ms vs first ${first.toFixed(1)} ms`);
});

test("user detail: storage breakdown, effective quota, computers online", async () => {
  const d = await getUserDetail(db.prisma, f.userA.id);
  assert.ok(d);
  assert.equal(d.user.messageBytes + d.user.workspaceBytes + d.user.settingsBytes, d.user.bytesUsed);
  assert.equal(d.effectiveQuotaBytes, d.realm.defaultQuotaBytes);
  assert.deepEqual(
    d.computers.map((c) => [c.name, c.online]),
    [
      ["desktop", false],
      ["laptop", true],
    ],
  );
  assert.ok(!("passwordHash" in d.user));
  assert.ok(!("hcaptchaSecret" in d.realm));
});

test("suspend and reactivate: status, sessionEpoch bump, NOTIFY on the user channel, audit", async () => {
  const listener = new pg.Client(db.url);
  await listener.connect();
  const got: string[] = [];
  listener.on("notification", (n) => n.channel === CHANNELS.user && got.push(n.payload ?? ""));
  await listener.query(`LISTEN ${CHANNELS.user}`);
  try {
    const epoch = (await db.prisma.user.findUniqueOrThrow({ where: { id: f.userA.id } })).sessionEpoch;
    const r = await executeCommand(setUserStatus, ctx(), { userId: f.userA.id, status: "SUSPENDED" });
    assert.equal(r.ok, true);
    let u = await db.prisma.user.findUniqueOrThrow({ where: { id: f.userA.id } });
    assert.equal(u.status, "SUSPENDED");
    assert.equal(u.sessionEpoch, epoch + 1);
    for (let i = 0; i < 100 && !got.includes(f.userA.id); i++) await new Promise((res) => setTimeout(res, 20));
    assert.ok(got.includes(f.userA.id));
    await executeCommand(setUserStatus, ctx(), { userId: f.userA.id, status: "ACTIVE" });
    u = await db.prisma.user.findUniqueOrThrow({ where: { id: f.userA.id } });
    assert.equal(u.status, "ACTIVE");
    const audit = await db.prisma.auditLog.findMany({ where: { targetId: f.userA.id }, orderBy: { id: "asc" } });
    assert.deepEqual(
      audit.map((a) => a.action),
      ["user.suspend", "user.reactivate"],
    );
    assert.equal((audit[0].before as { status: string }).status, "ACTIVE");
    assert.equal((audit[0].after as { status: string }).status, "SUSPENDED");
  } finally {
    await listener.end();
  }
});

test("reset password: signup's password rules, or a generated one shown once", async () => {
  const weak = await executeCommand(resetUserPassword, ctx(), { userId: f.userA.id, password: "short" });
  assert.ok(!weak.ok && weak.fieldErrors?.password);
  const gen = await executeCommand(resetUserPassword, ctx(), { userId: f.userA.id, password: "" });
  assert.ok(gen.ok);
  const password = (gen.data as { password: string }).password;
  const u = await db.prisma.user.findUniqueOrThrow({ where: { id: f.userA.id } });
  assert.ok(await verifyPassword(u.passwordHash, password));
  const audit = await db.prisma.auditLog.findFirstOrThrow({
    where: { action: "user.reset-password" },
    select: { before: true, after: true },
  });
  assert.ok(!JSON.stringify(audit).includes(password));
});

test("quota override and permission flags; blank means the realm default; over-quota is warned", async () => {
  const r = await executeCommand(updateUserLimits, ctx(), {
    userId: f.userA.id,
    quota: "1",
    quotaUnit: "MB",
    imessageRatePerMinute: "5",
    canMessageOtherRealms: "on",
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.ok(r.ok && r.warnings?.[0]?.includes("more than the 1 MiB quota"));
  let u = await db.prisma.user.findUniqueOrThrow({ where: { id: f.userA.id } });
  assert.equal(u.quotaBytes, 1024n * 1024n);
  assert.equal(u.imessageRatePerMinute, 5);
  assert.deepEqual([u.canMessageOtherRealms, u.canCreateWorkspaces, u.canCreateInvites], [true, false, false]);
  assert.equal(u.bytesUsed, 3n * 1024n * 1024n, "nothing deleted");
  await executeCommand(updateUserLimits, ctx(), {
    userId: f.userA.id,
    quota: "",
    imessageRatePerMinute: "",
    canCreateInvites: "on",
  });
  u = await db.prisma.user.findUniqueOrThrow({ where: { id: f.userA.id } });
  assert.equal(u.quotaBytes, null);
  assert.equal(u.imessageRatePerMinute, null);
  assert.equal(u.canCreateInvites, true);
  const bad = await executeCommand(updateUserLimits, ctx(), {
    userId: f.userA.id,
    quota: "-3",
    imessageRatePerMinute: "x",
  });
  assert.ok(!bad.ok && bad.fieldErrors?.quota && bad.fieldErrors.imessageRatePerMinute);
  // The admin sees every realm; the operator of A cannot touch the big realm.
  const denied = await executeCommand(updateUserLimits, ctx(), {
    userId: (await searchUsers(db.prisma, BIG, { limit: 1 })).rows[0].id,
  });
  assert.equal(denied.ok ? 200 : denied.status, 404);
  const allowed = await executeCommand(
    updateUserLimits,
    { ...ctx(), actor: adminActor(f) },
    { userId: (await searchUsers(db.prisma, BIG, { limit: 1 })).rows[0].id },
  );
  assert.ok(allowed.ok);
});
