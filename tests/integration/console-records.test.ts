// Invites, operators, federation registry and the audit log through the console commands.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestDb } from "../helpers/db.ts";
import { consoleSuite } from "../helpers/console-suite.ts";
import { adminActor, operatorAActor, type ConsoleFixture } from "../e2e/helpers/console-fixtures.ts";
import { executeCommand, type CommandContext } from "../../lib/console/command.ts";
import { createInvite, inviteState, listInvites, revokeInvite } from "../../lib/console/invites.ts";
import { createOperator, setOperatorPassword, updateOperator } from "../../lib/console/operators.ts";
import {
  createEnrollmentToken,
  revokeEnrollmentToken,
  revokeKnownRealmKey,
  setKnownRealmStatus,
  tokenState,
} from "../../lib/console/federation.ts";
import { listAudit } from "../../lib/console/audit.ts";
import { hashCode } from "../../lib/domain/registration.ts";
import { verifyPassword } from "../../lib/auth/password.ts";
import type { Actor } from "../../lib/domain/permissions.ts";

let db: TestDb;
let f: ConsoleFixture;
consoleSuite((d, fx) => {
  db = d;
  f = fx;
});

const ctx = (actor: Actor): CommandContext => ({ prisma: db.prisma, actor, ip: null });

test("invites: the code is returned once, only its sha256 is stored; revoke; counts", async () => {
  const r = await executeCommand(createInvite, ctx(operatorAActor(f)), {
    realmId: f.realmA.id,
    usesAllowed: "3",
    expiresIn: "7",
    note: "for Dana",
  });
  assert.ok(r.ok, JSON.stringify(r));
  const { code, link, inviteId } = r.data as { code: string; link: string; inviteId: string };
  assert.equal(link, `/signup/opengroove?invite=${encodeURIComponent(code)}`);
  const row = await db.prisma.invite.findUniqueOrThrow({ where: { id: inviteId } });
  assert.equal(row.codeHash, hashCode(code));
  assert.ok(
    !JSON.stringify(await db.prisma.auditLog.findMany({ select: { before: true, after: true } })).includes(code),
  );
  assert.equal(row.createdByOperatorId, f.operatorAId);
  assert.ok(row.expiresAt && Math.abs(row.expiresAt.getTime() - Date.now() - 7 * 86_400_000) < 60_000);
  assert.equal(inviteState(row), "active");

  const bad = await executeCommand(createInvite, ctx(operatorAActor(f)), {
    realmId: f.realmA.id,
    usesAllowed: "0",
    expiresIn: "5",
  });
  assert.ok(!bad.ok && bad.fieldErrors?.usesAllowed && bad.fieldErrors.expiresIn);

  assert.ok((await executeCommand(revokeInvite, ctx(operatorAActor(f)), { inviteId })).ok);
  assert.equal(inviteState(await db.prisma.invite.findUniqueOrThrow({ where: { id: inviteId } })), "revoked");
  assert.equal(
    inviteState({ revokedAt: null, expiresAt: new Date(Date.now() - 1), completed: 0, usesAllowed: 1 }),
    "expired",
  );
  assert.equal(inviteState({ revokedAt: null, expiresAt: null, completed: 2, usesAllowed: 2 }), "used up");

  const listB = await listInvites(db.prisma, f.realmB.id);
  assert.deepEqual([listB.pending, listB.completed, listB.total], [1, 1, 1]);
  assert.ok(!("codeHash" in listB.invites[0]));
});

test("operators: create with realms, change role, the last administrator and oneself are protected", async () => {
  const admin = adminActor(f);
  const weak = await executeCommand(createOperator, ctx(admin), { username: "x y", password: "short", role: "BOSS" });
  assert.ok(!weak.ok && weak.fieldErrors?.username && weak.fieldErrors.password && weak.fieldErrors.role);
  const r = await executeCommand(createOperator, ctx(admin), {
    username: "dana",
    password: "dana-password-123",
    role: "REALM_OPERATOR",
    realmIds: [f.realmA.id, f.realmB.id],
  });
  assert.ok(r.ok, JSON.stringify(r));
  const dana = await db.prisma.operator.findUniqueOrThrow({ where: { username: "dana" }, include: { realms: true } });
  assert.equal(dana.realms.length, 2);
  assert.ok(await verifyPassword(dana.passwordHash, "dana-password-123"));
  const dup = await executeCommand(createOperator, ctx(admin), {
    username: "dana",
    password: "dana-password-123",
    role: "ADMIN",
  });
  assert.ok(!dup.ok && dup.status === 409 && dup.fieldErrors?.username);
  const ghost = await executeCommand(createOperator, ctx(admin), {
    username: "erin",
    password: "erin-password-123",
    role: "REALM_OPERATOR",
    realmIds: "nowhere:1",
  });
  assert.ok(!ghost.ok && ghost.fieldErrors?.realmIds);

  const self = await executeCommand(updateOperator, ctx(admin), { operatorId: f.adminId, role: "REALM_OPERATOR" });
  assert.ok(!self.ok && self.status === 400);
  // Another admin may demote this one only while an administrator remains.
  assert.ok((await executeCommand(updateOperator, ctx(admin), { operatorId: dana.id, role: "ADMIN" })).ok);
  const danaActor: Actor = { kind: "operator", id: dana.id, username: "dana", role: "ADMIN", realmIds: new Set() };
  assert.ok(
    (await executeCommand(updateOperator, ctx(danaActor), { operatorId: f.adminId, role: "ADMIN", disabled: "on" })).ok,
  );
  const last = await executeCommand(updateOperator, ctx(admin), { operatorId: dana.id, role: "REALM_OPERATOR" });
  assert.ok(!last.ok && /At least one active administrator/.test(last.error), JSON.stringify(last));
  await db.prisma.operator.update({ where: { id: f.adminId }, data: { disabled: false } });

  assert.ok(
    (await executeCommand(setOperatorPassword, ctx(admin), { operatorId: dana.id, password: "new-dana-password-1" }))
      .ok,
  );
  assert.ok(
    await verifyPassword(
      (await db.prisma.operator.findUniqueOrThrow({ where: { id: dana.id } })).passwordHash,
      "new-dana-password-1",
    ),
  );
  const audit = await db.prisma.auditLog.findFirstOrThrow({
    where: { action: "operator.update", targetId: dana.id },
    orderBy: { id: "asc" },
  });
  assert.deepEqual((audit.after as { realmIds: string[] }).realmIds, []);
  assert.equal((audit.after as { role: string }).role, "ADMIN");
});

test("federation: approve / revoke a realm, revoke a key, enrollment tokens stored hashed", async () => {
  const admin = adminActor(f);
  assert.ok(
    (await executeCommand(setKnownRealmStatus, ctx(admin), { realmId: f.knownRealmId, status: "APPROVED" })).ok,
  );
  assert.equal(
    (await db.prisma.knownRealm.findUniqueOrThrow({ where: { realmId: f.knownRealmId } })).status,
    "APPROVED",
  );
  assert.ok((await executeCommand(setKnownRealmStatus, ctx(admin), { realmId: f.knownRealmId, status: "REVOKED" })).ok);
  const revoked = await db.prisma.knownRealm.findUniqueOrThrow({ where: { realmId: f.knownRealmId } });
  assert.equal(revoked.status, "REVOKED");
  assert.ok(revoked.revokedAt);
  assert.ok((await executeCommand(revokeKnownRealmKey, ctx(admin), { keyId: f.knownKeyId })).ok);
  assert.ok((await db.prisma.knownRealmKey.findUniqueOrThrow({ where: { id: f.knownKeyId } })).revokedAt);

  const bad = await executeCommand(createEnrollmentToken, ctx(admin), { realmId: "no port", expiresInHours: "0" });
  assert.ok(!bad.ok && bad.fieldErrors?.realmId && bad.fieldErrors.expiresInHours);
  const t = await executeCommand(createEnrollmentToken, ctx(admin), {
    realmId: "new.example:63745",
    expiresInHours: "2",
  });
  assert.ok(t.ok);
  const { token, tokenId } = t.data as { token: string; tokenId: string };
  const row = await db.prisma.enrollmentToken.findUniqueOrThrow({ where: { id: tokenId } });
  assert.equal(row.tokenHash, hashCode(token));
  assert.equal(row.realmId, "new.example:63745");
  assert.equal(tokenState(row), "unused");
  assert.ok((await executeCommand(revokeEnrollmentToken, ctx(admin), { tokenId })).ok);
  assert.equal(tokenState(await db.prisma.enrollmentToken.findUniqueOrThrow({ where: { id: tokenId } })), "expired");
});

test("audit log: newest first, keyset pages, filters, and realm operators see only their realms", async () => {
  const admin = adminActor(f);
  for (let i = 0; i < 5; i++)
    await executeCommand(createInvite, ctx(admin), {
      realmId: f.realmB.id,
      usesAllowed: String(i + 1),
      expiresIn: "never",
    });
  const all = await listAudit(db.prisma, admin, { limit: 3 });
  assert.equal(all.rows.length, 3);
  assert.ok(all.rows[0].id > all.rows[1].id);
  const next = await listAudit(db.prisma, admin, { limit: 3, before: all.nextBefore! });
  assert.ok(next.rows[0].id < all.rows[2].id);

  const byAction = await listAudit(db.prisma, admin, { action: "federation.", limit: 100 });
  assert.ok(byAction.rows.length >= 4 && byAction.rows.every((r) => r.action.startsWith("federation.")));
  const byRealm = await listAudit(db.prisma, admin, { realmId: f.realmB.id, limit: 100 });
  assert.equal(byRealm.rows.length, 5);
  const byActor = await listAudit(db.prisma, admin, { actor: "OPERATOR-A", limit: 100 });
  assert.ok(byActor.rows.length >= 2 && byActor.rows.every((r) => r.actorLabel === "operator:operator-a"));

  const opA = operatorAActor(f);
  const scoped = await listAudit(db.prisma, opA, { limit: 200 });
  assert.ok(scoped.rows.length > 0 && scoped.rows.every((r) => r.realmId === f.realmA.id));
  assert.equal((await listAudit(db.prisma, opA, { realmId: f.realmB.id })).rows.length, 0);
});
