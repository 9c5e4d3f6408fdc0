import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { seed } from "../../lib/domain/seed.ts";
import { verifyPassword } from "../../lib/auth/password.ts";

let db: TestDb;
before(async () => (db = await createTestDb()));
after(async () => db.drop());

test("seeding creates the two default realms and an administrator, once", async () => {
  const opts = { publicHost: "example.org", adminUsername: "admin" };
  const first = await seed(db.prisma, opts);
  assert.deepEqual(first.createdRealms.sort(), ["example.org:63741", "example.org:63745"]);
  assert.ok(first.generatedAdminPassword && first.generatedAdminPassword.length >= 16);
  const admin = await db.prisma.operator.findUniqueOrThrow({ where: { username: "admin" } });
  assert.ok(await verifyPassword(admin.passwordHash, first.generatedAdminPassword!));
  assert.notEqual(admin.passwordHash, first.generatedAdminPassword);

  const og = await db.prisma.realm.findUniqueOrThrow({ where: { slug: "opengroove" } });
  assert.equal(og.registrationMode, "OPEN");
  assert.notEqual(og.captchaProvider, "NONE");
  assert.equal(og.userCap, 500);
  assert.equal(og.defaultQuotaBytes, 100n * 1024n * 1024n);
  const tv = await db.prisma.realm.findUniqueOrThrow({ where: { slug: "trivergia" } });
  assert.equal(tv.registrationMode, "INVITE");
  assert.equal(tv.userCap, 10);
  assert.equal(tv.defaultQuotaBytes, 5n * 1024n * 1024n * 1024n);

  // An operator's change survives a second seed, which creates nothing.
  await db.prisma.realm.update({ where: { slug: "trivergia" }, data: { userCap: 12 } });
  const [a, b] = await Promise.all([seed(db.prisma, opts), seed(db.prisma, opts)]);
  assert.deepEqual(a.createdRealms, []);
  assert.deepEqual(b.createdRealms, []);
  assert.equal(a.generatedAdminPassword, undefined);
  assert.equal(await db.prisma.realm.count(), 2);
  assert.equal(await db.prisma.operator.count(), 1);
  assert.equal((await db.prisma.realm.findUniqueOrThrow({ where: { slug: "trivergia" } })).userCap, 12);
});
