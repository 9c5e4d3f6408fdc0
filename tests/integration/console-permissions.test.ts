// The console's authorization matrix, on the same code path the server actions use
// (executeCommand: zod parse -> permission check -> query). A realm operator of realm A gets 404
// for every command aimed at realm B, 403 for administrator-only commands (deniedStatus: the
// refusal reveals nothing there), and nothing changes.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestDb } from "../helpers/db.ts";
import { consoleSuite } from "../helpers/console-suite.ts";
import { adminActor, operatorAActor, realmSettingsForm, type ConsoleFixture } from "../e2e/helpers/console-fixtures.ts";
import { executeCommand, type Command, type CommandContext } from "../../lib/console/command.ts";
import * as realms from "../../lib/console/realms.ts";
import * as users from "../../lib/console/users.ts";
import * as invites from "../../lib/console/invites.ts";
import * as operators from "../../lib/console/operators.ts";
import * as federation from "../../lib/console/federation.ts";
import * as userCreate from "../../lib/console/user-create.ts";
import * as signupThrottles from "../../lib/console/signup-throttles.ts";
import * as perms from "../../lib/domain/permissions.ts";
import type { z } from "zod";

type AnyCommand = Command<z.ZodType, unknown>;

let db: TestDb;
let f: ConsoleFixture;
consoleSuite((d, fx) => {
  db = d;
  f = fx;
});

const ctx = (actor: perms.Actor): CommandContext => ({ prisma: db.prisma, actor, ip: "127.0.0.1" });

function allCommands(): Map<string, AnyCommand> {
  const out = new Map<string, AnyCommand>();
  for (const mod of [realms, users, invites, operators, federation, userCreate, signupThrottles]) {
    for (const v of Object.values(mod)) {
      if (v && typeof v === "object" && "schema" in v && "authorize" in v && "run" in v)
        out.set((v as AnyCommand).name, v as AnyCommand);
    }
  }
  return out;
}

/** Everything a forbidden command could have changed. */
async function snapshot() {
  const p = db.prisma;
  return JSON.stringify(
    await Promise.all([
      p.realm.findMany({ orderBy: { id: "asc" } }),
      p.user.findMany({ orderBy: { id: "asc" } }),
      p.invite.findMany({ orderBy: { id: "asc" } }),
      p.operator.findMany({ orderBy: { id: "asc" }, include: { realms: true } }),
      p.knownRealm.findMany({ include: { keys: true } }),
      p.enrollmentToken.findMany({ orderBy: { id: "asc" } }),
      p.setPasswordLink.count(),
      p.auditLog.count(),
    ]),
    (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
  );
}

/** Inputs aimed at realm B or at administrator-only objects, one per command. */
function forbiddenInputs(): Record<string, Record<string, string | string[]>> {
  return {
    "realm.create": { host: "new.example", port: "7000", slug: "newrealm", ...realmSettingsForm() },
    "realm.update": { realmId: f.realmB.id, ...realmSettingsForm({ userCap: "1" }) },
    "user.status": { userId: f.userB.id, status: "SUSPENDED" },
    "user.reset-password": { userId: f.userB.id, password: "Another-password-9" },
    "user.limits": { userId: f.userB.id, quota: "1", quotaUnit: "MB" },
    "invite.create": { realmId: f.realmB.id, usesAllowed: "5", expiresIn: "7" },
    "invite.revoke": { inviteId: f.inviteB },
    "operator.create": { username: "mallory", password: "mallory-password-1", role: "ADMIN" },
    "operator.update": { operatorId: f.operatorAId, role: "ADMIN", realmIds: [f.realmA.id, f.realmB.id] },
    "operator.password": { operatorId: f.adminId, password: "taken-over-password" },
    "federation.realm-status": { realmId: f.knownRealmId, status: "APPROVED" },
    "federation.key-revoke": { keyId: f.knownKeyId },
    "federation.token-create": { realmId: "", expiresInHours: "24" },
    "federation.token-revoke": { tokenId: f.tokenId },
    "realm.key-rotate": { realmId: f.realmA.id },
    "user.create": { realmId: f.realmB.id, username: "intruder" },
    "user.set-password-link": { userId: f.userB.id },
    "realm.signup-throttles": { realmId: f.realmB.id },
    "user.signup-throttle-reset": { realmId: f.realmB.id, address: "198.51.100.1" },
  };
}

test("every console command is in the matrix", () => {
  assert.deepEqual([...allCommands().keys()].sort(), Object.keys(forbiddenInputs()).sort());
});

test("a realm operator of A gets 404 for every command aimed at B, 403 for administrator-only ones, and nothing changes", async () => {
  const before = await snapshot();
  const opA = operatorAActor(f);
  for (const [name, cmd] of allCommands()) {
    const r = await executeCommand(cmd, ctx(opA), forbiddenInputs()[name]);
    assert.equal(r.ok, false, name);
    assert.equal(r.ok ? 200 : r.status, cmd.deniedStatus ?? 404, `${name}: ${JSON.stringify(r)}`);
  }
  assert.equal(await snapshot(), before);
});

test("ids that do not exist answer 404 as well (no difference from another realm's)", async () => {
  const opA = operatorAActor(f);
  const cmds = allCommands();
  for (const [name, input] of Object.entries({
    "realm.update": { realmId: "nowhere:1", ...realmSettingsForm() },
    "user.status": { userId: "00000000-0000-0000-0000-000000000000", status: "SUSPENDED" },
    "invite.revoke": { inviteId: "nope" },
  })) {
    const r = await executeCommand(cmds.get(name)!, ctx(opA), input);
    assert.equal(r.ok ? 200 : r.status, 404, name);
  }
});

test("the same operator may act on realm A", async () => {
  const opA = operatorAActor(f);
  const cmds = allCommands();
  const cases: [string, Record<string, string>][] = [
    [
      "realm.update",
      {
        realmId: f.realmA.id,
        ...realmSettingsForm({ name: "OpenGroove", registrationMode: "OPEN", captchaProvider: "ALTCHA" }),
      },
    ],
    ["user.limits", { userId: f.userA.id, quota: "2", quotaUnit: "GB", canCreateWorkspaces: "on" }],
    ["invite.create", { realmId: f.realmA.id, usesAllowed: "2", expiresIn: "1" }],
    ["invite.revoke", { inviteId: f.inviteA }],
  ];
  for (const [name, input] of cases) {
    const r = await executeCommand(cmds.get(name)!, ctx(opA), input);
    assert.equal(r.ok, true, `${name}: ${JSON.stringify(r)}`);
  }
  // Status of a realm is an administrator decision even inside the operator's realm.
  const r = await executeCommand(realms.updateRealm, ctx(opA), {
    realmId: f.realmA.id,
    status: "DISABLED",
    ...realmSettingsForm(),
  });
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.fieldErrors?.status);
});

test("an administrator may run administrator commands", async () => {
  const admin = adminActor(f);
  const r1 = await executeCommand(federation.setKnownRealmStatus, ctx(admin), {
    realmId: f.knownRealmId,
    status: "APPROVED",
  });
  assert.equal(r1.ok, true);
  const r2 = await executeCommand(operators.createOperator, ctx(admin), {
    username: "carol",
    password: "carol-password-12",
    role: "REALM_OPERATOR",
    realmIds: f.realmB.id,
  });
  assert.equal(r2.ok, true, JSON.stringify(r2));
  const carol = await db.prisma.operator.findUniqueOrThrow({ where: { username: "carol" }, include: { realms: true } });
  assert.deepEqual(
    carol.realms.map((r) => r.realmId),
    [f.realmB.id],
  );
});

test("permission functions: the role matrix", () => {
  const admin = adminActor(f);
  const opA = operatorAActor(f);
  const noRealms: perms.Actor = { ...opA, realmIds: new Set() };
  const scoped = [perms.canViewRealm, perms.canEditRealm, perms.canManageUsers, perms.canManageInvites];
  for (const fn of scoped) {
    assert.equal(fn(admin, f.realmB.id), true, fn.name);
    assert.equal(fn(opA, f.realmA.id), true, fn.name);
    assert.equal(fn(opA, f.realmB.id), false, fn.name);
    assert.equal(fn(noRealms, f.realmA.id), false, fn.name);
  }
  for (const fn of [perms.canCreateRealm, perms.canManageOperators, perms.canManageFederation]) {
    assert.equal(fn(admin), true, fn.name);
    assert.equal(fn(opA), false, fn.name);
  }
  assert.equal(perms.canChangeRealmStatus(admin, f.realmA.id), true);
  assert.equal(perms.canChangeRealmStatus(opA, f.realmA.id), false);
  assert.equal(perms.canViewAudit(admin, null), true);
  assert.equal(perms.canViewAudit(opA, null), false);
  assert.equal(perms.canViewAudit(opA, f.realmA.id), true);
  assert.equal(perms.canViewAudit(opA, f.realmB.id), false);
  assert.equal(perms.visibleRealmIds(admin), null);
  assert.deepEqual(perms.visibleRealmIds(opA), [f.realmA.id]);
});
