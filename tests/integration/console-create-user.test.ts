// Accounts created from the console (#14 item 6): the one-time set-password link (stored as
// sha256, single use even under concurrent submits, expiring), the realm's user cap under
// concurrent creates, the audit trail; and the per-address signup throttle shown per realm and
// reset (audited) from the console.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestDb } from "../helpers/db.ts";
import { consoleSuite } from "../helpers/console-suite.ts";
import { adminActor, operatorAActor, type ConsoleFixture } from "../e2e/helpers/console-fixtures.ts";
import { executeCommand, type CommandContext } from "../../lib/console/command.ts";
import { createUser, issuePasswordLink } from "../../lib/console/user-create.ts";
import { listRealmSignupThrottles, resetRealmSignupThrottle } from "../../lib/console/signup-throttles.ts";
import { setPasswordLinkTarget, redeemSetPasswordLink } from "../../lib/domain/set-password-links.ts";
import { hashCode } from "../../lib/domain/registration.ts";
import { enforceSignupThrottle, takeSignupAttempt } from "../../lib/domain/signup-throttle.ts";
import { DomainError } from "../../lib/domain/errors.ts";
import { verifyPassword } from "../../lib/auth/password.ts";

let db: TestDb;
let f: ConsoleFixture;
const ctx = (actor = operatorAActor(f)): CommandContext => ({ prisma: db.prisma, actor, ip: "203.0.113.5" });
const tokenOf = (link: string) => new URL(link, "http://x").searchParams.get("token")!;

consoleSuite((d, fx) => {
  db = d;
  f = fx;
});

test("an operator creates a user; the link sets the password once and is audited", async () => {
  const countBefore = (await db.prisma.realm.findUniqueOrThrow({ where: { id: f.realmA.id } })).userCount;
  const r = await executeCommand(createUser, ctx(), { realmId: f.realmA.id, username: "Carol", expiresIn: "3" });
  assert.ok(r.ok, JSON.stringify(r));
  const data = r.data as { userId: string; link: string; fullId: string; expiresAt: Date };
  assert.match(data.link, /^\/account\/set-password\?token=[A-Za-z0-9_-]{32}$/);
  assert.equal(data.fullId, `${f.realmA.id}::Carol`);
  const days = (data.expiresAt.getTime() - Date.now()) / 86_400_000;
  assert.ok(days > 2.99 && days <= 3, `expires in ${days} days`);
  assert.equal((await db.prisma.realm.findUniqueOrThrow({ where: { id: f.realmA.id } })).userCount, countBefore + 1);

  const token = tokenOf(data.link);
  const stored = await db.prisma.setPasswordLink.findFirstOrThrow({ where: { userId: data.userId } });
  assert.equal(stored.tokenHash, hashCode(token), "stored as sha256 only");
  const created = await db.prisma.auditLog.findFirstOrThrow({
    where: { action: "user.create", targetId: data.userId },
  });
  assert.equal(created.actorLabel, "operator:operator-a");
  assert.equal(created.realmId, f.realmA.id);

  const target = await setPasswordLinkTarget(db.pool, token);
  assert.equal(target?.username, "Carol");
  await assert.rejects(redeemSetPasswordLink(db.pool, token, "short", null), (e: unknown) => {
    assert.ok(e instanceof DomainError);
    assert.equal(e.code, "BADPASSWORD");
    return true;
  });
  const epoch = (await db.prisma.user.findUniqueOrThrow({ where: { id: data.userId } })).sessionEpoch;
  await redeemSetPasswordLink(db.pool, token, "Sunny-meadow-41", "198.51.100.9");
  const user = await db.prisma.user.findUniqueOrThrow({ where: { id: data.userId } });
  assert.ok(await verifyPassword(user.passwordHash, "Sunny-meadow-41"));
  assert.equal(user.sessionEpoch, epoch + 1);
  const set = await db.prisma.auditLog.findFirstOrThrow({
    where: { action: "user.password-set", targetId: data.userId },
  });
  assert.deepEqual([set.actorLabel, set.ip], ["user:Carol", "198.51.100.9"]);

  assert.equal(await setPasswordLinkTarget(db.pool, token), null, "used");
  await assert.rejects(
    redeemSetPasswordLink(db.pool, token, "Another-password-2", null),
    /expired or was already used/,
  );
  assert.ok(
    await verifyPassword(
      (await db.prisma.user.findUniqueOrThrow({ where: { id: data.userId } })).passwordHash,
      "Sunny-meadow-41",
    ),
  );
});

test("two submits of one link at once: exactly one sets the password", async () => {
  const r = await executeCommand(createUser, ctx(), { realmId: f.realmA.id, username: "Dave" });
  assert.ok(r.ok);
  const token = tokenOf((r.data as { link: string }).link);
  const results = await Promise.allSettled(
    ["first-river-stone-1", "second-river-stone-2", "third-river-stone-3"].map((p) =>
      redeemSetPasswordLink(db.pool, token, p, null),
    ),
  );
  assert.equal(results.filter((x) => x.status === "fulfilled").length, 1);
  const hash = (await db.prisma.user.findFirstOrThrow({ where: { username: "Dave" } })).passwordHash;
  const winners = await Promise.all(
    ["first-river-stone-1", "second-river-stone-2", "third-river-stone-3"].map((p) => verifyPassword(hash, p)),
  );
  assert.equal(winners.filter(Boolean).length, 1);
});

test("an expired link is refused; a new link can be issued for an existing user", async () => {
  const r = await executeCommand(issuePasswordLink, ctx(), { userId: f.userA.id, expiresIn: "1" });
  assert.ok(r.ok, JSON.stringify(r));
  const token = tokenOf((r.data as { link: string }).link);
  await db.pool.query(
    `UPDATE set_password_links SET "expiresAt" = now() - interval '1 second' WHERE "tokenHash" = $1`,
    [hashCode(token)],
  );
  assert.equal(await setPasswordLinkTarget(db.pool, token), null);
  await assert.rejects(redeemSetPasswordLink(db.pool, token, "quiet-harbor-77", null), /expired/);
  assert.ok(await db.prisma.auditLog.findFirst({ where: { action: "user.set-password-link", targetId: f.userA.id } }));
});

test("bad usernames, taken names (case and look-alikes) and another realm are refused", async () => {
  const bad = await executeCommand(createUser, ctx(), { realmId: f.realmA.id, username: "a" });
  assert.equal(!bad.ok && bad.status, 400);
  assert.ok(!bad.ok && bad.fieldErrors?.username?.length);
  const taken = await executeCommand(createUser, ctx(), { realmId: f.realmA.id, username: "ALICE" });
  assert.equal(!taken.ok && taken.status, 409);
  const other = await executeCommand(createUser, ctx(), { realmId: f.realmB.id, username: "Eve" });
  assert.equal(!other.ok && other.status, 404);
});

test("the user cap holds under 8 concurrent creates with room for 3", async () => {
  const realm = await db.prisma.realm.findUniqueOrThrow({ where: { id: f.realmB.id } });
  await db.prisma.realm.update({ where: { id: realm.id }, data: { userCap: realm.userCount + 3 } });
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      executeCommand(createUser, ctx(adminActor(f)), { realmId: realm.id, username: `capped${i}` }),
    ),
  );
  assert.equal(
    results.filter((x) => x.ok).length,
    3,
    JSON.stringify(results.filter((x) => !x.ok).map((x) => !x.ok && x.error)),
  );
  for (const x of results.filter((x) => !x.ok)) assert.equal(!x.ok && x.status, 409);
  const after = await db.prisma.realm.findUniqueOrThrow({ where: { id: realm.id } });
  assert.equal(after.userCount, after.userCap);
  assert.equal(await db.prisma.user.count({ where: { realmId: realm.id } }), after.userCount);
});

test("signup throttle: shown per realm with remaining and until, reset audited, other realms untouched", async () => {
  const s = { limit: 5, windowSeconds: 1800 };
  process.env.OPENGROOVE_SIGNUP_LIMIT = "5";
  process.env.OPENGROOVE_SIGNUP_WINDOW_MINUTES = "30";
  for (let i = 0; i < 6; i++) await takeSignupAttempt(db.pool, f.realmA.id, "198.51.100.20", s);
  await takeSignupAttempt(db.pool, f.realmA.id, "2001:db8:5:6::1", s);
  await takeSignupAttempt(db.pool, f.realmB.id, "198.51.100.20", s);

  const list = await executeCommand(listRealmSignupThrottles, ctx(), { realmId: f.realmA.id });
  assert.ok(list.ok);
  const data = list.data as {
    limit: number;
    addresses: { address: string; attempts: number; remaining: number; throttled: boolean; until: Date }[];
  };
  assert.equal(data.limit, 5);
  assert.deepEqual(
    data.addresses.map((a) => [a.address, a.attempts, a.remaining, a.throttled]),
    [
      ["198.51.100.20", 6, 0, true],
      ["2001:db8:5:6::/64", 1, 4, false],
    ],
  );
  const minutes = (data.addresses[0].until.getTime() - Date.now()) / 60_000;
  assert.ok(minutes > 29 && minutes <= 30, `until in ${minutes} min`);
  await assert.rejects(enforceSignupThrottle(db.pool, f.realmA.id, "198.51.100.20", s), /Too many signup attempts/);

  const denied = await executeCommand(resetRealmSignupThrottle, ctx(), {
    realmId: f.realmB.id,
    address: "198.51.100.20",
  });
  assert.equal(!denied.ok && denied.status, 404);
  const reset = await executeCommand(resetRealmSignupThrottle, ctx(), {
    realmId: f.realmA.id,
    address: "198.51.100.20",
  });
  assert.ok(reset.ok);
  assert.match(reset.message, /reset \(7 forgotten\)/);
  await enforceSignupThrottle(db.pool, f.realmA.id, "198.51.100.20", s);
  const entry = await db.prisma.auditLog.findFirstOrThrow({ where: { action: "user.signup-throttle-reset" } });
  assert.deepEqual(
    [entry.targetId, entry.realmId, entry.actorLabel],
    ["198.51.100.20", f.realmA.id, "operator:operator-a"],
  );
  const again = await executeCommand(resetRealmSignupThrottle, ctx(), { realmId: f.realmA.id, address: "192.0.2.99" });
  assert.ok(again.ok);
  assert.match(again.message, /no signup attempts to reset/);
  assert.equal(await db.prisma.auditLog.count({ where: { action: "user.signup-throttle-reset" } }), 1);

  const b = await executeCommand(listRealmSignupThrottles, ctx(adminActor(f)), { realmId: f.realmB.id });
  assert.deepEqual(
    (b.ok ? (b.data as typeof data).addresses : []).map((a) => [a.address, a.attempts]),
    [["198.51.100.20", 1]],
  );
});
