// Realm users on the web: sign-in with realm credentials (slug or full user id, Argon2id), the
// realm daemon's rate-limit buckets (per account, per address, shared with the protocol),
// suspended accounts, and the wall between realm-user and operator sessions.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { createConsoleFixture, type ConsoleFixture } from "../e2e/helpers/console-fixtures.ts";
import { registerAccount } from "../../lib/domain/registration.ts";
import {
  authenticateRealmUser,
  REALM_SIGN_IN_RULES,
  realmAccountKey,
  realmIpKey,
  RealmUserSignInError,
  type RealmSignInFailure,
} from "../../lib/account/sign-in.ts";
import { loadRealmUser } from "../../lib/account/realm-user.ts";
import { loadActor } from "../../lib/auth/current-actor.ts";
import { REALM_DEFAULTS } from "../../realm-daemon/config.ts";
import type { RealmUserPrincipal } from "../../lib/auth/principal.ts";

const PASSWORD = "web account passphrase";
let db: TestDb;
let f: ConsoleFixture;
let realmId: string;
let userId: string;

before(async () => {
  db = await createTestDb();
  f = await createConsoleFixture(db.prisma);
  realmId = f.realmA.id;
  userId = (await registerAccount(db.pool, { realmId, username: "Carol", password: PASSWORD, captchaPassed: true })).id;
});
after(async () => db.drop());

async function failure(p: Promise<unknown>): Promise<RealmSignInFailure | "signed in"> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RealmUserSignInError) return e.reason;
    throw e;
  }
  return "signed in";
}

test("the limits are the realm daemon's own", () => {
  assert.equal(REALM_SIGN_IN_RULES.account.limit, REALM_DEFAULTS.authFailuresPerWindow);
  assert.equal(REALM_SIGN_IN_RULES.account.windowMs, REALM_DEFAULTS.authFailureWindowMs);
  assert.equal(REALM_SIGN_IN_RULES.ip.limit, REALM_DEFAULTS.authFailuresPerWindow * 5);
});

test("signs in by realm slug or by full user id, case-insensitively; wrong input says nothing specific", async () => {
  const a = await authenticateRealmUser(
    db,
    { realm: f.realmA.slug, username: "carol", password: PASSWORD },
    "198.51.100.7",
  );
  assert.deepEqual(a, { userId, realmId, username: "Carol", sessionEpoch: 0 });
  const b = await authenticateRealmUser(db, { username: `${realmId}::CAROL`, password: PASSWORD }, null);
  assert.equal(b.userId, userId);
  assert.ok((await db.prisma.user.findUniqueOrThrow({ where: { id: userId } })).lastLoginAt);
  assert.equal(
    await failure(authenticateRealmUser(db, { realm: f.realmA.slug, username: "carol", password: "wrong one" }, null)),
    "invalid",
  );
  assert.equal(
    await failure(authenticateRealmUser(db, { realm: f.realmB.slug, username: "carol", password: PASSWORD }, null)),
    "invalid",
    "other realm",
  );
  assert.equal(
    await failure(authenticateRealmUser(db, { realm: "no-such-realm", username: "carol", password: PASSWORD }, null)),
    "invalid",
  );
  assert.equal(
    await failure(authenticateRealmUser(db, { username: "carol", password: PASSWORD }, null)),
    "invalid",
    "no realm at all",
  );
  assert.equal(await failure(authenticateRealmUser(db, { realm: 5, username: ["x"] }, null)), "invalid");
  await db.prisma.rateLimitBucket.deleteMany({});
});

test("failures fill the daemon's per-account bucket; then even the right password waits", async () => {
  const { limit, windowMs } = REALM_SIGN_IN_RULES.account;
  for (let i = 0; i < limit; i++) {
    assert.equal(
      await failure(
        authenticateRealmUser(db, { realm: f.realmA.slug, username: "Carol", password: `guess ${i}` }, `192.0.2.${i}`),
      ),
      "invalid",
    );
  }
  assert.equal(
    await failure(
      authenticateRealmUser(db, { realm: f.realmA.slug, username: "carol", password: PASSWORD }, "192.0.2.200"),
    ),
    "rate_limited",
  );
  const key = realmAccountKey(realmId, "carol");
  assert.equal(key, `auth:${realmId}:carol`, "the realm daemon's bucket name");
  await db.prisma.rateLimitBucket.update({
    where: { key },
    data: { windowStart: new Date(Date.now() - windowMs - 1000) },
  });
  assert.equal(
    (await authenticateRealmUser(db, { realm: f.realmA.slug, username: "carol", password: PASSWORD }, "192.0.2.200"))
      .userId,
    userId,
  );
  assert.deepEqual(
    await db.prisma.rateLimitBucket.findUnique({ where: { key }, select: { count: true, pending: true } }),
    { count: 0, pending: 0 },
    "success clears the account's failures",
  );
  await db.prisma.rateLimitBucket.deleteMany({});
});

test("failures from one address across accounts fill the daemon's per-address bucket", async () => {
  const ip = "203.0.113.9";
  let last: string = "";
  for (let i = 0; i <= REALM_SIGN_IN_RULES.ip.limit; i++)
    last = await failure(
      authenticateRealmUser(db, { realm: f.realmA.slug, username: `nobody${i}`, password: "x" }, ip),
    );
  assert.equal(last, "rate_limited");
  assert.equal(
    await failure(authenticateRealmUser(db, { realm: f.realmA.slug, username: "carol", password: PASSWORD }, ip)),
    "rate_limited",
  );
  assert.equal(
    (await authenticateRealmUser(db, { realm: f.realmA.slug, username: "carol", password: PASSWORD }, "203.0.113.10"))
      .userId,
    userId,
  );
  // The refused attempts (right password or not) are not failures: the bucket holds the limit.
  assert.equal(
    (await db.prisma.rateLimitBucket.findUniqueOrThrow({ where: { key: realmIpKey(ip) } })).count,
    REALM_SIGN_IN_RULES.ip.limit,
  );
  await db.prisma.rateLimitBucket.deleteMany({});
});

test("a suspended account is refused with its own reason, only after the right password", async () => {
  await db.prisma.user.update({ where: { id: userId }, data: { status: "SUSPENDED" } });
  try {
    await assert.rejects(
      authenticateRealmUser(db, { realm: f.realmA.slug, username: "carol", password: PASSWORD }, null),
      (e: unknown) => e instanceof RealmUserSignInError && e.reason === "suspended" && /suspended/.test(e.message),
    );
    assert.equal(
      await failure(authenticateRealmUser(db, { realm: f.realmA.slug, username: "carol", password: "not it" }, null)),
      "invalid",
    );
  } finally {
    await db.prisma.user.update({ where: { id: userId }, data: { status: "ACTIVE" } });
    await db.prisma.rateLimitBucket.deleteMany({});
  }
});

test("realm-user sessions never open the console, operator sessions never open an account", async () => {
  const user: RealmUserPrincipal = { kind: "realm-user", userId, realmId, username: "Carol", sessionEpoch: 0 };
  assert.equal(await loadActor(db.prisma, user), null, "a realm user is not a console actor");
  // Even a realm user whose id equals an operator's id.
  assert.equal(await loadActor(db.prisma, { ...user, userId: f.adminId }), null);
  const op = { kind: "operator" as const, id: f.adminId, username: "admin", role: "ADMIN" as const, sessionEpoch: 0 };
  assert.equal((await loadActor(db.prisma, op))?.id, f.adminId);
  assert.equal(await loadRealmUser(db.pool, op), null, "an operator is not a realm user");
  assert.equal(await loadRealmUser(db.pool, undefined), null);

  const me = await loadRealmUser(db.pool, user);
  assert.deepEqual(me, {
    userId,
    realmId,
    username: "Carol",
    fullId: `${realmId}::Carol`,
    realmSlug: f.realmA.slug,
    realmName: me!.realmName,
  });
  assert.equal(await loadRealmUser(db.pool, { ...user, realmId: f.realmB.id }), null, "realm must match");
  // Signed out by the operator (epoch bumped), suspended, or realm disabled: the session is over.
  await db.prisma.user.update({ where: { id: userId }, data: { sessionEpoch: 1 } });
  assert.equal(await loadRealmUser(db.pool, user), null);
  assert.ok(await loadRealmUser(db.pool, { ...user, sessionEpoch: 1 }));
  await db.prisma.user.update({ where: { id: userId }, data: { status: "SUSPENDED" } });
  assert.equal(await loadRealmUser(db.pool, { ...user, sessionEpoch: 1 }), null);
  await db.prisma.user.update({ where: { id: userId }, data: { status: "ACTIVE", sessionEpoch: 0 } });
  await db.prisma.realm.update({ where: { id: realmId }, data: { status: "DISABLED" } });
  assert.equal(await loadRealmUser(db.pool, user), null);
  await db.prisma.realm.update({ where: { id: realmId }, data: { status: "ACTIVE" } });
});
