// Authorization on every /api/v1 route, driven by a table with one row per route: a route
// added to lib/api/routes.ts without a row here fails the first test. For each route: no token
// and a revoked token answer 401; the realm-A operator's token aimed at realm B answers 404
// (nothing changes); a role without the right answers 403; a valid token answers 200.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { apiClient, makeToken, type ApiClient } from "../helpers/api.ts";
import {
  adminActor,
  createConsoleFixture,
  operatorAActor,
  realmSettingsForm,
  type ConsoleFixture,
} from "../e2e/helpers/console-fixtures.ts";
import { API_ROUTES } from "../../lib/api/routes.ts";
import { executeCommand } from "../../lib/console/command.ts";
import { revokeApiToken } from "../../lib/console/api-tokens.ts";
import { foldUsername } from "../../lib/domain/usernames.ts";

let db: TestDb;
let f: ConsoleFixture;
let api: ApiClient;
const tok = { admin: "", opA: "", revoked: "", adminOther: "" };
let spareOperatorId = "";

interface Req {
  path: string;
  body?: unknown;
}
interface Row {
  /** A valid call (on realm A, or on a platform object for administrator-only routes). */
  a: () => Promise<Req> | Req;
  /** The same call aimed at realm B (or at another operator's object), refused with 404 for the realm-A operator. */
  b?: () => Promise<Req> | Req;
  adminOnly?: boolean;
}

async function throwawayUser(realmId: string, username: string): Promise<string> {
  const u = await db.prisma.user.create({
    data: { realmId, username, usernameKey: foldUsername(username), passwordHash: "x" },
  });
  await db.prisma.realm.update({ where: { id: realmId }, data: { userCount: { increment: 1 } } });
  return u.id;
}

let seq = 0;
const ROWS: Record<string, Row> = {
  "GET /realms": { a: () => ({ path: "/realms" }) },
  "POST /realms": {
    adminOnly: true,
    a: () => ({ path: "/realms", body: { host: "api.example", port: 7001, slug: "apirealm", ...realmSettingsForm() } }),
  },
  "GET /realms/{slug}": { a: () => ({ path: "/realms/opengroove" }), b: () => ({ path: "/realms/trivergia" }) },
  "PATCH /realms/{slug}": {
    a: () => ({ path: "/realms/opengroove", body: { description: "Changed through the API" } }),
    b: () => ({ path: "/realms/trivergia", body: { description: "Taken over" } }),
  },
  "GET /realms/{slug}/users": {
    a: () => ({ path: "/realms/opengroove/users?q=ali" }),
    b: () => ({ path: "/realms/trivergia/users" }),
  },
  "POST /realms/{slug}/users": {
    a: () => ({ path: "/realms/opengroove/users", body: { username: `apiuser${++seq}` } }),
    b: () => ({ path: "/realms/trivergia/users", body: { username: "intruder" } }),
  },
  "GET /users/{userId}": { a: () => ({ path: `/users/${f.userA.id}` }), b: () => ({ path: `/users/${f.userB.id}` }) },
  "POST /users/{userId}/status": {
    a: () => ({ path: `/users/${f.userA.id}/status`, body: { status: "ACTIVE" } }),
    b: () => ({ path: `/users/${f.userB.id}/status`, body: { status: "SUSPENDED" } }),
  },
  "PATCH /users/{userId}/limits": {
    a: () => ({ path: `/users/${f.userA.id}/limits`, body: { quota: 50, quotaUnit: "MiB" } }),
    b: () => ({ path: `/users/${f.userB.id}/limits`, body: { quota: 1, quotaUnit: "MiB" } }),
  },
  "POST /users/{userId}/password-reset": {
    a: () => ({ path: `/users/${f.userA.id}/password-reset`, body: {} }),
    b: () => ({ path: `/users/${f.userB.id}/password-reset`, body: {} }),
  },
  "POST /users/{userId}/set-password-link": {
    a: () => ({ path: `/users/${f.userA.id}/set-password-link`, body: { expiresIn: "1" } }),
    b: () => ({ path: `/users/${f.userB.id}/set-password-link`, body: {} }),
  },
  "DELETE /users/{userId}": {
    a: async () => {
      const name = `Gone${++seq}`;
      return { path: `/users/${await throwawayUser(f.realmA.id, name)}?confirm=${name}` };
    },
    b: () => ({ path: `/users/${f.userB.id}?confirm=${f.userB.username}` }),
  },
  "GET /realms/{slug}/invites": {
    a: () => ({ path: "/realms/opengroove/invites" }),
    b: () => ({ path: "/realms/trivergia/invites" }),
  },
  "POST /realms/{slug}/invites": {
    a: () => ({ path: "/realms/opengroove/invites", body: { usesAllowed: 2, expiresIn: "7" } }),
    b: () => ({ path: "/realms/trivergia/invites", body: { usesAllowed: 2, expiresIn: "7" } }),
  },
  "POST /invites/{inviteId}/revoke": {
    a: () => ({ path: `/invites/${f.inviteA}/revoke`, body: {} }),
    b: () => ({ path: `/invites/${f.inviteB}/revoke`, body: {} }),
  },
  "GET /realms/{slug}/signup-throttles": {
    a: () => ({ path: "/realms/opengroove/signup-throttles" }),
    b: () => ({ path: "/realms/trivergia/signup-throttles" }),
  },
  "POST /realms/{slug}/signup-throttles/reset": {
    a: () => ({ path: "/realms/opengroove/signup-throttles/reset", body: { address: "198.51.100.7" } }),
    b: () => ({ path: "/realms/trivergia/signup-throttles/reset", body: { address: "198.51.100.7" } }),
  },
  "GET /operators": { adminOnly: true, a: () => ({ path: "/operators" }) },
  "POST /operators": {
    adminOnly: true,
    a: () => ({
      path: "/operators",
      body: { username: "api-made", password: "api-made-password-1", role: "REALM_OPERATOR", realmIds: [f.realmA.id] },
    }),
  },
  "GET /operators/{operatorId}": { adminOnly: true, a: () => ({ path: `/operators/${f.operatorAId}` }) },
  "PATCH /operators/{operatorId}": {
    adminOnly: true,
    a: () => ({ path: `/operators/${spareOperatorId}`, body: { realmIds: [f.realmA.id, f.realmB.id] } }),
  },
  "PUT /operators/{operatorId}/password": {
    adminOnly: true,
    a: () => ({ path: `/operators/${spareOperatorId}/password`, body: { password: "spare-password-changed" } }),
  },
  "GET /audit": {
    a: () => ({ path: "/audit?realm=opengroove&limit=5" }),
    b: () => ({ path: "/audit?realm=trivergia" }),
  },
  "GET /backups/status": { adminOnly: true, a: () => ({ path: "/backups/status" }) },
  "GET /tokens": { a: () => ({ path: "/tokens" }) },
  "POST /tokens/{tokenId}/revoke": {
    a: async () => ({
      path: `/tokens/${(await makeToken(db.prisma, operatorAActor(f), { name: "to revoke" })).tokenId}/revoke`,
    }),
    b: () => ({ path: `/tokens/${tok.adminOther}/revoke` }),
  },
};

/** Everything a refused call could have changed. */
async function snapshot(): Promise<string> {
  const p = db.prisma;
  return JSON.stringify(
    await Promise.all([
      p.realm.findMany({ orderBy: { id: "asc" } }),
      p.user.findMany({ orderBy: { id: "asc" } }),
      p.invite.findMany({ orderBy: { id: "asc" } }),
      p.operator.findMany({ orderBy: { id: "asc" }, include: { realms: true } }),
      p.operatorApiToken.findMany({ orderBy: { id: "asc" }, omit: { lastUsedAt: true } }),
      p.setPasswordLink.count(),
      p.auditLog.count(),
    ]),
    (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
  );
}

before(async () => {
  db = await createTestDb();
  f = await createConsoleFixture(db.prisma);
  api = apiClient({ prisma: db.prisma, pool: db.pool, ratePerMinute: 10_000 });
  spareOperatorId = (
    await db.prisma.operator.create({ data: { username: "spare", passwordHash: "x", role: "REALM_OPERATOR" } })
  ).id;
  tok.admin = (await makeToken(db.prisma, adminActor(f), { name: "admin ci" })).token;
  tok.adminOther = (await makeToken(db.prisma, adminActor(f), { name: "admin other" })).tokenId;
  tok.opA = (await makeToken(db.prisma, operatorAActor(f), { name: "realm A bot" })).token;
  const revoked = await makeToken(db.prisma, adminActor(f), { name: "old" });
  const r = await executeCommand(
    revokeApiToken,
    { prisma: db.prisma, actor: adminActor(f), ip: null },
    { tokenId: revoked.tokenId },
  );
  assert.ok(r.ok);
  tok.revoked = revoked.token;
});
after(async () => db.drop());

const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

test("every API route has an authz row, and every row a route", () => {
  assert.deepEqual(Object.keys(ROWS).sort(), API_ROUTES.map(key).sort());
  assert.equal(new Set(API_ROUTES.map(key)).size, API_ROUTES.length, "two routes share a method and path");
});

test("no route handler under app/api/v1 bypasses the route table", () => {
  const dir = path.resolve(import.meta.dirname, "../../app/api/v1");
  const files = fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((p) => /route\.tsx?$/.test(p));
  assert.deepEqual(files.sort(), [path.join("[...path]", "route.ts"), path.join("openapi.json", "route.ts")]);
});

for (const route of API_ROUTES) {
  const name = key(route);
  test(`authz: ${name}`, async () => {
    const row = ROWS[name];
    assert.ok(row, `no authz row for ${name}`);
    const call = async (token: string | null, req: Req) =>
      api.call(
        token,
        route.method,
        req.path,
        route.method === "GET" || route.method === "DELETE" ? undefined : (req.body ?? {}),
      );

    const target = await row.a();
    const refused = await snapshot();
    const anon = await call(null, target);
    assert.equal(anon.status, 401, `${name} without a token: ${JSON.stringify(anon.json)}`);
    assert.deepEqual(Object.keys(anon.json).sort(), ["error", "ok", "status"]);
    assert.equal(anon.headers.get("www-authenticate"), 'Bearer realm="opengroove"');
    assert.equal((await call(tok.revoked, target)).status, 401, `${name} with a revoked token`);
    assert.equal((await call(`${tok.admin}x`, target)).status, 401, `${name} with a wrong token`);
    if (row.b) {
      const other = await call(tok.opA, await row.b());
      assert.equal(other.status, 404, `${name} aimed at realm B: ${JSON.stringify(other.json)}`);
      assert.deepEqual(other.json, { ok: false, status: 404, error: "Not found." });
    }
    if (row.adminOnly) {
      const denied = await call(tok.opA, target);
      assert.equal(denied.status, 403, `${name} as a realm operator: ${JSON.stringify(denied.json)}`);
      assert.deepEqual(denied.json, { ok: false, status: 403, error: "Your role does not allow this." });
    }
    assert.equal(await snapshot(), refused, `${name}: a refused call changed something`);

    const ok = await call(row.adminOnly ? tok.admin : tok.opA, target);
    assert.equal(ok.status, 200, `${name} with a valid token: ${JSON.stringify(ok.json)}`);
    assert.equal(ok.json.ok, true);
    assert.equal(typeof ok.json.message, "string");
  });
}

test("a realm operator's token lists only their realms; an administrator's every realm", async () => {
  const mine = await api.call(tok.opA, "GET", "/realms");
  assert.deepEqual(
    mine.json.data.realms.map((r: { slug: string }) => r.slug),
    ["opengroove"],
  );
  const all = await api.call(tok.admin, "GET", "/realms");
  assert.ok(all.json.data.realms.length >= 2);
  assert.ok(!JSON.stringify(all.json).includes('hcaptchaSecret":"'), "secrets never leave");
});
