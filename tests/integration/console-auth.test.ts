// Operator sign-in: Argon2id verification, failed attempts limited per account and per client
// address in rate_limit_buckets (shared by every web process), disabled operators refused;
// plus the request checks used by state-changing route handlers.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestDb } from "../helpers/db.ts";
import { consoleSuite } from "../helpers/console-suite.ts";
import { ADMIN, adminActor, OPERATOR_A, type ConsoleFixture } from "../e2e/helpers/console-fixtures.ts";
import {
  accountKey,
  authenticateOperator,
  ipKey,
  OperatorSignInError,
  SIGN_IN_RULES,
} from "../../lib/auth/operator-credentials.ts";
import { clientIpFrom, isSameOrigin } from "../../lib/auth/request-meta.ts";
import { loadActor } from "../../lib/auth/current-actor.ts";
import { executeCommand } from "../../lib/console/command.ts";
import { setOperatorPassword } from "../../lib/console/operators.ts";

let db: TestDb;
let f: ConsoleFixture;
consoleSuite((d, fx) => {
  db = d;
  f = fx;
});

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OperatorSignInError) return e.reason;
    throw e;
  }
  return "signed in";
}

test("right password signs in; wrong password, unknown name and malformed input do not", async () => {
  const op = await authenticateOperator(db, ADMIN, "198.51.100.1");
  assert.deepEqual(op, { id: f.adminId, username: "admin", role: "ADMIN", sessionEpoch: 0 });
  assert.ok((await db.prisma.operator.findUniqueOrThrow({ where: { id: f.adminId } })).lastLoginAt);
  assert.equal(await failure(authenticateOperator(db, { ...ADMIN, password: "wrong" }, "198.51.100.1")), "invalid");
  assert.equal(
    await failure(authenticateOperator(db, { username: "ghost", password: "whatever" }, "198.51.100.1")),
    "invalid",
  );
  assert.equal(await failure(authenticateOperator(db, { username: ["x"], password: 5 }, "198.51.100.1")), "invalid");
});

test("failed sign-ins are limited per account, in the database, even with the right password", async () => {
  const ip = (i: number) => `192.0.2.${i}`;
  for (let i = 0; i < SIGN_IN_RULES.account.limit; i++) {
    assert.equal(await failure(authenticateOperator(db, { ...OPERATOR_A, password: "nope" }, ip(i))), "invalid");
  }
  // From yet another address, and with the right password: still refused until the window ends.
  assert.equal(await failure(authenticateOperator(db, OPERATOR_A, ip(99))), "rate_limited");
  const bucket = await db.prisma.rateLimitBucket.findUniqueOrThrow({ where: { key: accountKey(OPERATOR_A.username) } });
  assert.ok(bucket.count > SIGN_IN_RULES.account.limit);
  // The state lives in the table: once the window has passed, the account works again.
  await db.prisma.rateLimitBucket.update({
    where: { key: bucket.key },
    data: { windowStart: new Date(Date.now() - SIGN_IN_RULES.account.windowMs - 1000) },
  });
  assert.equal((await authenticateOperator(db, OPERATOR_A, ip(99))).username, OPERATOR_A.username);
  assert.equal(
    await db.prisma.rateLimitBucket.count({ where: { key: bucket.key } }),
    0,
    "success clears the account's failures",
  );
});

test("failed sign-ins are limited per client address across accounts", async () => {
  const addr = "203.0.113.50";
  for (let i = 0; i < SIGN_IN_RULES.ip.limit; i++) {
    assert.equal(await failure(authenticateOperator(db, { username: `guess-${i}`, password: "x" }, addr)), "invalid");
  }
  assert.equal(await failure(authenticateOperator(db, ADMIN, addr)), "rate_limited");
  assert.equal((await authenticateOperator(db, ADMIN, "203.0.113.51")).username, "admin");
  assert.ok(
    (await db.prisma.rateLimitBucket.findUniqueOrThrow({ where: { key: ipKey(addr) } })).count > SIGN_IN_RULES.ip.limit,
  );
});

test("parallel guesses cannot slip past the account limit", async () => {
  await db.prisma.operator.create({ data: { username: "parallel", passwordHash: "x", role: "ADMIN" } });
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      failure(authenticateOperator(db, { username: "parallel", password: "x" }, `10.0.0.${i}`)),
    ),
  );
  assert.equal(results.filter((r) => r === "invalid").length, SIGN_IN_RULES.account.limit);
});

test("a disabled operator cannot sign in", async () => {
  await db.prisma.operator.update({ where: { id: f.operatorAId }, data: { disabled: true } });
  assert.equal(await failure(authenticateOperator(db, OPERATOR_A, "198.51.100.7")), "invalid");
  await db.prisma.operator.update({ where: { id: f.operatorAId }, data: { disabled: false } });
});

test("same-origin check for state-changing route handlers", () => {
  const h = (o: Record<string, string>) => new Headers(o);
  assert.equal(isSameOrigin(h({ host: "console.test:3000", origin: "http://console.test:3000" })), true);
  assert.equal(isSameOrigin(h({ host: "console.test:3000", origin: "http://evil.test" })), false);
  assert.equal(isSameOrigin(h({ host: "console.test:3000" })), false, "no Origin and no Referer");
  assert.equal(isSameOrigin(h({ host: "console.test:3000", origin: "null" })), false);
  assert.equal(isSameOrigin(h({ host: "console.test:3000", referer: "http://console.test:3000/console" })), true);
  assert.equal(
    isSameOrigin(h({ host: "internal:3000", "x-forwarded-host": "console.test", origin: "https://console.test" })),
    true,
  );
});

test("client address is the last x-forwarded-for hop", () => {
  assert.equal(clientIpFrom(new Headers({ "x-forwarded-for": "10.1.1.1, 198.51.100.2" })), "198.51.100.2");
  assert.equal(clientIpFrom(new Headers()), null);
});

test("an operator's password change ends their console sessions; a new sign-in works", async () => {
  const signedIn = await authenticateOperator(db, OPERATOR_A, "198.51.100.77");
  const principal = { kind: "operator" as const, ...signedIn };
  assert.equal((await loadActor(db.prisma, principal))?.id, f.operatorAId);
  const r = await executeCommand(
    setOperatorPassword,
    { prisma: db.prisma, actor: adminActor(f), ip: null },
    {
      operatorId: f.operatorAId,
      password: "a changed operator passphrase",
    },
  );
  assert.equal(r.ok, true);
  assert.equal(await loadActor(db.prisma, principal), null, "the old session is over");
  const again = await authenticateOperator(
    db,
    { username: OPERATOR_A.username, password: "a changed operator passphrase" },
    "198.51.100.77",
  );
  assert.equal((await loadActor(db.prisma, { kind: "operator", ...again }))?.id, f.operatorAId);
});
