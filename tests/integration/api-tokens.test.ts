// API tokens and the API's answers: stored as a keyed hash only, scope never above the owner's
// rights (at creation and on every request), cut by revocation, expiry, a disabled owner, a
// demotion or a password change; the per-token rate limit under concurrency; audit entries
// naming the token; JSON error shapes; the OpenAPI document listing every route.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestDb } from "../helpers/db.ts";
import { consoleSuite } from "../helpers/console-suite.ts";
import { apiClient, makeToken, type ApiClient } from "../helpers/api.ts";
import { adminActor, operatorAActor, type ConsoleFixture } from "../e2e/helpers/console-fixtures.ts";
import { hashApiToken } from "../../lib/auth/api-tokens.ts";
import { executeCommand } from "../../lib/console/command.ts";
import { createApiToken } from "../../lib/console/api-tokens.ts";
import { setOperatorPassword, updateOperator } from "../../lib/console/operators.ts";
import { API_ROUTES } from "../../lib/api/routes.ts";
import { openApiDocument } from "../../lib/api/openapi.ts";
import { hashPassword } from "../../lib/auth/password.ts";

let db: TestDb;
let f: ConsoleFixture;
let api: ApiClient;

consoleSuite((d, fx) => {
  db = d;
  f = fx;
  api = apiClient({ prisma: db.prisma, pool: db.pool, ratePerMinute: 10_000 });
});

async function newOperator(username: string, role: "ADMIN" | "REALM_OPERATOR", realmIds: string[] = []) {
  const op = await db.prisma.operator.create({
    data: {
      username,
      passwordHash: await hashPassword("x-password-123456"),
      role,
      realms: { create: realmIds.map((realmId) => ({ realmId })) },
    },
  });
  return { kind: "operator" as const, id: op.id, username, role, realmIds: new Set(realmIds) };
}

test("the token is shown once and stored only as its keyed hash", async () => {
  const t = await makeToken(db.prisma, adminActor(f), { name: "stored" });
  assert.match(t.token, /^ogt_[A-Za-z0-9_-]{43}$/);
  assert.equal(t.prefix, t.token.slice(0, 12));
  const row = await db.prisma.operatorApiToken.findUniqueOrThrow({ where: { id: t.tokenId } });
  assert.equal(row.tokenHash, hashApiToken(t.token));
  assert.notEqual(row.tokenHash, t.token);
  const dump = JSON.stringify(await db.pool.query("SELECT * FROM operator_api_tokens"));
  assert.ok(!dump.includes(t.token.slice(4)), "the secret is nowhere in the table");
  const audit = await db.prisma.auditLog.findFirstOrThrow({
    where: { action: "operator.api-token-create", targetId: t.tokenId },
  });
  assert.ok(
    !JSON.stringify(audit, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)).includes(t.token.slice(4)),
    "nor in the audit log",
  );
});

test("a token's scope never exceeds its owner's rights at creation", async () => {
  const ctx = { prisma: db.prisma, actor: operatorAActor(f), ip: null };
  const asAdmin = await executeCommand(createApiToken, ctx, { name: "x", role: "ADMIN", realmIds: [f.realmA.id] });
  assert.equal(asAdmin.ok, false);
  assert.deepEqual(!asAdmin.ok && Object.keys(asAdmin.fieldErrors ?? {}), ["role"]);
  const otherRealm = await executeCommand(createApiToken, ctx, {
    name: "x",
    role: "REALM_OPERATOR",
    realmIds: [f.realmB.id],
  });
  assert.deepEqual(!otherRealm.ok && otherRealm.fieldErrors?.realmIds, [
    "A token can only be given realms you operate.",
  ]);
  const none = await executeCommand(createApiToken, ctx, { name: "x", role: "REALM_OPERATOR" });
  assert.equal(!none.ok && none.status, 400);
  // A token cannot mint tokens.
  const viaToken = await executeCommand(
    createApiToken,
    { ...ctx, actor: { ...operatorAActor(f), apiToken: { id: "t", name: "t", prefix: "ogt_x" } } },
    { name: "x", role: "REALM_OPERATOR", realmIds: [f.realmA.id] },
  );
  assert.equal(!viaToken.ok && viaToken.status, 404);
});

test("an administrator's token scoped to realm A acts as a realm operator of A only", async () => {
  const t = await makeToken(db.prisma, adminActor(f), { role: "REALM_OPERATOR", realmIds: [f.realmA.id] });
  assert.equal((await api.call(t.token, "GET", "/realms/opengroove")).status, 200);
  assert.equal((await api.call(t.token, "GET", "/realms/trivergia")).status, 404);
  assert.equal((await api.call(t.token, "GET", "/operators")).status, 403);
  const list = await api.call(t.token, "GET", "/realms");
  assert.deepEqual(
    list.json.data.realms.map((r: { slug: string }) => r.slug),
    ["opengroove"],
  );
});

test("losing a realm shrinks the token at once; disabling the owner, demoting an administrator or a password change cuts it", async () => {
  const admin = adminActor(f);
  const ctx = { prisma: db.prisma, actor: admin, ip: null };
  const op = await newOperator("scoped-op", "REALM_OPERATOR", [f.realmA.id, f.realmB.id]);
  const opToken = await makeToken(db.prisma, op, { realmIds: [f.realmA.id, f.realmB.id] });
  assert.equal((await api.call(opToken.token, "GET", "/realms/trivergia")).status, 200);
  assert.ok(
    (await executeCommand(updateOperator, ctx, { operatorId: op.id, role: "REALM_OPERATOR", realmIds: [f.realmA.id] }))
      .ok,
  );
  assert.equal((await api.call(opToken.token, "GET", "/realms/trivergia")).status, 404);
  assert.equal((await api.call(opToken.token, "GET", "/realms/opengroove")).status, 200);

  assert.ok(
    (
      await executeCommand(updateOperator, ctx, {
        operatorId: op.id,
        role: "REALM_OPERATOR",
        disabled: "on",
        realmIds: [f.realmA.id],
      })
    ).ok,
  );
  const disabled = await api.call(opToken.token, "GET", "/realms/opengroove");
  assert.equal(disabled.status, 401);
  assert.match(disabled.json.error, /disabled/);

  const boss = await newOperator("second-admin", "ADMIN");
  const bossToken = await makeToken(db.prisma, boss);
  assert.equal((await api.call(bossToken.token, "GET", "/operators")).status, 200);
  assert.ok(
    (
      await executeCommand(updateOperator, ctx, {
        operatorId: boss.id,
        role: "REALM_OPERATOR",
        realmIds: [f.realmA.id],
      })
    ).ok,
  );
  const demoted = await api.call(bossToken.token, "GET", "/realms/opengroove");
  assert.equal(demoted.status, 401, "an administrator token does not silently become a realm token");
  assert.match(demoted.json.error, /no longer an administrator/);

  const third = await newOperator("pw-op", "REALM_OPERATOR", [f.realmA.id]);
  const thirdToken = await makeToken(db.prisma, third);
  assert.equal((await api.call(thirdToken.token, "GET", "/realms/opengroove")).status, 200);
  assert.ok(
    (await executeCommand(setOperatorPassword, ctx, { operatorId: third.id, password: "a-brand-new-password" })).ok,
  );
  const changed = await api.call(thirdToken.token, "GET", "/realms/opengroove");
  assert.equal(changed.status, 401);
  assert.match(changed.json.error, /password changed/);
});

test("an expired token is refused", async () => {
  const t = await makeToken(db.prisma, adminActor(f));
  await db.prisma.operatorApiToken.update({
    where: { id: t.tokenId },
    data: { expiresAt: new Date(Date.now() - 1000) },
  });
  assert.equal((await api.call(t.token, "GET", "/realms")).status, 401);
  assert.equal((await api.call(`Basic ${t.token}`, "GET", "/realms")).status, 401);
});

test("rate limit per token: 30 concurrent calls with a limit of 8 let exactly 8 through; another token is unaffected", async () => {
  const limited = apiClient({ prisma: db.prisma, pool: db.pool, ratePerMinute: 8 });
  const t = await makeToken(db.prisma, adminActor(f), { name: "busy" });
  const other = await makeToken(db.prisma, adminActor(f), { name: "calm" });
  const answers = await Promise.all(Array.from({ length: 30 }, () => limited.call(t.token, "GET", "/realms")));
  assert.equal(answers.filter((a) => a.status === 200).length, 8);
  const refused = answers.filter((a) => a.status === 429);
  assert.equal(refused.length, 22);
  assert.match(refused[0].json.error, /Too many requests with this token \(8 per minute\)/);
  const retry = Number(refused[0].headers.get("retry-after"));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  assert.equal((await limited.call(other.token, "GET", "/realms")).status, 200);
});

test("audit entries name the token that made the change", async () => {
  const t = await makeToken(db.prisma, operatorAActor(f), { name: "provisioning bot" });
  const r = await api.call(t.token, "POST", "/realms/opengroove/invites", {
    usesAllowed: 3,
    expiresIn: "30",
    note: "api",
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.match(r.json.data.link, /^\/signup\/opengroove\?invite=/);
  const entry = await db.prisma.auditLog.findFirstOrThrow({
    where: { action: "invite.create", targetId: r.json.data.inviteId },
  });
  assert.equal(entry.actorLabel, `operator:operator-a via API token "provisioning bot" (${t.prefix}…)`);
  assert.equal(entry.ip, "192.0.2.10");
  const byActor = await api.call(t.token, "GET", `/audit?actor=${encodeURIComponent("provisioning bot")}`);
  assert.equal(byActor.json.data.entries.length, 1);
});

test("JSON error shapes: field errors, bad JSON, unknown route, wrong method, conflict", async () => {
  const t = await makeToken(db.prisma, adminActor(f));
  const bad = await api.call(t.token, "POST", "/realms/opengroove/invites", { usesAllowed: 0, expiresIn: "soon" });
  assert.equal(bad.status, 400);
  assert.deepEqual(Object.keys(bad.json).sort(), ["error", "fieldErrors", "ok", "status"]);
  assert.equal(bad.json.error, "Please correct the highlighted fields.");
  assert.deepEqual(Object.keys(bad.json.fieldErrors).sort(), ["expiresIn", "usesAllowed"]);
  assert.deepEqual(bad.json.fieldErrors.usesAllowed, ["Number of uses must be at least 1."]);

  const notJson = await api.call(t.token, "POST", "/realms/opengroove/invites", "{nope");
  assert.deepEqual(notJson.json, { ok: false, status: 400, error: "The request body is not valid JSON." });
  const array = await api.call(t.token, "POST", "/realms/opengroove/invites", "[1]");
  assert.equal(array.status, 400);

  const unknown = await api.call(t.token, "GET", "/nothing/here");
  assert.deepEqual(unknown.json, { ok: false, status: 404, error: "No such API route; see /api/v1/openapi.json." });
  const wrongMethod = await api.call(t.token, "DELETE", "/realms");
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get("allow"), "GET, POST");

  const first = await api.call(t.token, "POST", "/realms/opengroove/users", { username: "twice" });
  assert.equal(first.status, 200, JSON.stringify(first.json));
  const second = await api.call(t.token, "POST", "/realms/opengroove/users", { username: "Twice" });
  assert.equal(second.status, 409);
  assert.deepEqual(second.json.fieldErrors, {
    username: ["This username is taken on this realm (or looks like one that is); choose another."],
  });

  const missingRealm = await api.call(t.token, "GET", "/realms/no-such-realm/users");
  assert.deepEqual(missingRealm.json, { ok: false, status: 404, error: "Not found." });
});

test("PATCH keeps the fields it is not given", async () => {
  const t = await makeToken(db.prisma, adminActor(f));
  const before = await db.prisma.user.findUniqueOrThrow({ where: { id: f.userA.id } });
  await db.prisma.user.update({ where: { id: f.userA.id }, data: { canCreateInvites: true } });
  const r = await api.call(t.token, "PATCH", `/users/${f.userA.id}/limits`, { quota: 2, quotaUnit: "GiB" });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const afterPatch = await db.prisma.user.findUniqueOrThrow({ where: { id: f.userA.id } });
  assert.equal(afterPatch.quotaBytes, 2n * 1024n ** 3n);
  assert.equal(afterPatch.canCreateInvites, true);
  assert.equal(afterPatch.canMessageOtherRealms, before.canMessageOtherRealms);
  const cleared = await api.call(t.token, "PATCH", `/users/${f.userA.id}/limits`, { quota: null });
  assert.equal(cleared.status, 200);
  assert.equal((await db.prisma.user.findUniqueOrThrow({ where: { id: f.userA.id } })).quotaBytes, null);

  const realm = await api.call(t.token, "PATCH", "/realms/trivergia", { userCap: 77 });
  assert.equal(realm.status, 200, JSON.stringify(realm.json));
  const row = await db.prisma.realm.findUniqueOrThrow({ where: { id: f.realmB.id } });
  assert.equal(row.userCap, 77);
  assert.equal(row.registrationMode, "INVITE");
});

test("the OpenAPI document lists every route with its input schema from zod", () => {
  const doc = openApiDocument() as {
    openapi: string;
    paths: Record<
      string,
      Record<
        string,
        {
          operationId: string;
          requestBody?: {
            content: Record<string, { schema: { properties: Record<string, unknown>; required?: string[] } }>;
          };
          parameters?: { name: string; in: string }[];
        }
      >
    >;
  };
  assert.equal(doc.openapi, "3.1.0");
  const listed = Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
  );
  assert.deepEqual(listed.sort(), API_ROUTES.map((r) => `${r.method} /api/v1${r.path}`).sort());
  const invite = doc.paths["/api/v1/realms/{slug}/invites"].post;
  assert.equal(invite.operationId, "invite.create");
  const schema = invite.requestBody!.content["application/json"].schema;
  assert.deepEqual(Object.keys(schema.properties).sort(), ["expiresIn", "note", "usesAllowed"]);
  assert.deepEqual(schema.required?.sort(), ["expiresIn", "usesAllowed"]);
  const users = doc.paths["/api/v1/realms/{slug}/users"].get;
  assert.deepEqual(
    users.parameters!.map((p) => `${p.in}:${p.name}`),
    ["path:slug", "query:q", "query:after", "query:before", "query:limit"],
  );
  const limits = doc.paths["/api/v1/users/{userId}/limits"].patch;
  assert.equal(
    limits.requestBody!.content["application/json"].schema.required,
    undefined,
    "PATCH fields are all optional",
  );
});
