// Realm create/edit through the console commands: validation with field errors, write-only
// hCaptcha secret, caps lowered below use (allowed, with warnings), audit entries and the
// NOTIFY that realm daemons listen for.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import {
  adminActor,
  createConsoleFixture,
  realmSettingsForm,
  type ConsoleFixture,
} from "../e2e/helpers/console-fixtures.ts";
import { executeCommand, type CommandContext } from "../../lib/console/command.ts";
import { createRealm, listRealms, updateRealm, usageWarnings } from "../../lib/console/realms.ts";
import { realmStats } from "../../lib/console/dashboard.ts";
import { CHANNELS } from "../../lib/db/notify.ts";

let db: TestDb;
let f: ConsoleFixture;
let listener: pg.Client;
const notes: { channel: string; payload?: string }[] = [];

before(async () => {
  db = await createTestDb();
  f = await createConsoleFixture(db.prisma);
  listener = new pg.Client(db.url);
  await listener.connect();
  listener.on("notification", (n) => notes.push({ channel: n.channel, payload: n.payload }));
  await listener.query(`LISTEN ${CHANNELS.realm}`);
});
after(async () => {
  await listener.end();
  await db.drop();
});

const ctx = (): CommandContext => ({ prisma: db.prisma, actor: adminActor(f), ip: "203.0.113.9" });

async function waitForNote(channel: string, payload: string) {
  for (let i = 0; i < 100; i++) {
    if (notes.some((n) => n.channel === channel && n.payload === payload)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`no NOTIFY ${channel} ${payload}`);
}

test("invalid realm forms come back with field errors and the submitted values", async () => {
  const r = await executeCommand(createRealm, ctx(), {
    host: "bad host!",
    port: "70000",
    slug: "X",
    ...realmSettingsForm({ name: "", userCap: "-1", defaultQuota: "abc", contactEmail: "nope" }),
  });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.status, 400);
  for (const field of ["host", "port", "slug", "name", "userCap", "defaultQuota", "contactEmail"])
    assert.ok(r.fieldErrors?.[field]?.length, field);
  assert.equal(r.values?.host, "bad host!");
});

test("the contact user must be a full user id (host:port::username) or blank", async () => {
  for (const bad of ["bob", "example.com::bob", "example.com:99999::bob", "example.com:63745::"]) {
    const r = await executeCommand(updateRealm, ctx(), {
      realmId: f.realmA.id,
      ...realmSettingsForm({ contactUserId: bad }),
    });
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.match(r.fieldErrors?.contactUserId?.[0] ?? "", /full user id/, bad);
  }
  for (const good of ["", "example.com:63745::bob"]) {
    const r = await executeCommand(updateRealm, ctx(), {
      realmId: f.realmA.id,
      ...realmSettingsForm({ contactUserId: good }),
    });
    assert.equal(r.ok, true, good);
  }
});

test("legacy TLS port: off when blank, set and cleared through realm.update, audited, never the realm port", async () => {
  const realm = await db.prisma.realm.findUniqueOrThrow({ where: { id: f.realmA.id } });
  assert.equal(realm.legacyTlsPort, null, "off by default");
  const edit = (legacyTlsPort: string) =>
    executeCommand(updateRealm, ctx(), { realmId: realm.id, ...realmSettingsForm({ legacyTlsPort }) });
  for (const [bad, why] of [
    ["0", /at least 1/],
    ["70000", /at most 65535/],
    ["12.5", /whole number/],
    [String(realm.port), /another port than the realm port/],
  ] as const) {
    const r = await edit(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.match(r.fieldErrors?.legacyTlsPort?.[0] ?? "", why, bad);
  }
  const set = await edit("64745");
  assert.equal(set.ok, true, JSON.stringify(set));
  assert.equal((await db.prisma.realm.findUniqueOrThrow({ where: { id: realm.id } })).legacyTlsPort, 64745);
  await waitForNote(CHANNELS.realm, realm.id);
  const audit = await db.prisma.auditLog.findFirstOrThrow({
    where: { targetId: realm.id, action: "realm.update" },
    orderBy: { at: "desc" },
  });
  assert.ok(JSON.stringify(audit.after).includes('"legacyTlsPort":64745'));
  assert.equal((await edit("")).ok, true);
  assert.equal((await db.prisma.realm.findUniqueOrThrow({ where: { id: realm.id } })).legacyTlsPort, null);
});

test("create a realm: stored with bytes from MB/GB, audited, announced", async () => {
  const r = await executeCommand(createRealm, ctx(), {
    host: "Realm.Example",
    port: "64000",
    slug: "example",
    ...realmSettingsForm({ defaultQuota: "1.5", defaultQuotaUnit: "GB" }),
  });
  assert.equal(r.ok, true, JSON.stringify(r));
  const realm = await db.prisma.realm.findUniqueOrThrow({ where: { id: "realm.example:64000" } });
  assert.equal(realm.slug, "example");
  assert.equal(realm.defaultQuotaBytes, BigInt(1.5 * 1024 ** 3));
  assert.equal(realm.maxWorkspaceChangeBytes, 256n * 1024n * 1024n);
  const audit = await db.prisma.auditLog.findFirstOrThrow({ where: { action: "realm.create", targetId: realm.id } });
  assert.equal(audit.actorLabel, "operator:admin");
  assert.equal(audit.ip, "203.0.113.9");
  await waitForNote(CHANNELS.realm, realm.id);

  const dup = await executeCommand(createRealm, ctx(), {
    host: "other.example",
    port: "64000",
    slug: "example",
    ...realmSettingsForm(),
  });
  assert.equal(dup.ok, false);
  assert.ok(!dup.ok && dup.status === 409 && dup.fieldErrors?.slug);
});

test("the hCaptcha secret is write-only: required for hCaptcha, kept when blank, never in the audit log", async () => {
  const base = {
    realmId: f.realmA.id,
    ...realmSettingsForm({
      name: "OpenGroove",
      registrationMode: "OPEN",
      captchaProvider: "HCAPTCHA",
      hcaptchaSiteKey: "site-key-1",
    }),
  };
  const missing = await executeCommand(updateRealm, ctx(), base);
  assert.ok(!missing.ok && missing.fieldErrors?.hcaptchaSecret);

  const set = await executeCommand(updateRealm, ctx(), { ...base, hcaptchaSecret: "0xSECRETVALUE" });
  assert.equal(set.ok, true, JSON.stringify(set));
  const kept = await executeCommand(updateRealm, ctx(), { ...base, hcaptchaSecret: "", description: "changed" });
  assert.equal(kept.ok, true);
  const realm = await db.prisma.realm.findUniqueOrThrow({ where: { id: f.realmA.id } });
  assert.equal(realm.hcaptchaSecret, "0xSECRETVALUE");
  assert.equal(realm.description, "changed");

  const entries = await db.prisma.auditLog.findMany({
    where: { targetId: f.realmA.id },
    select: { before: true, after: true },
  });
  assert.ok(entries.length >= 2);
  assert.ok(!JSON.stringify(entries).includes("0xSECRETVALUE"), "secret leaked into the audit log");
  assert.ok(JSON.stringify(entries).includes('"hcaptchaSecret":"[set]"'));

  const views = await listRealms(db.prisma, adminActor(f));
  assert.ok(
    !JSON.stringify(views, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)).includes("0xSECRETVALUE"),
  );
  assert.equal(views.find((v) => v.id === f.realmA.id)?.hasHcaptchaSecret, true);

  const cleared = await executeCommand(updateRealm, ctx(), {
    ...base,
    captchaProvider: "ALTCHA",
    clearHcaptchaSecret: "on",
  });
  assert.equal(cleared.ok, true);
  assert.equal((await db.prisma.realm.findUniqueOrThrow({ where: { id: f.realmA.id } })).hcaptchaSecret, null);
});

test("lowering the user cap and default quota below current use is allowed, warned, and deletes nothing", async () => {
  await db.prisma.user.createMany({
    data: ["c1", "c2", "c3"].map((u) => ({
      realmId: f.realmB.id,
      username: u,
      usernameKey: u,
      passwordHash: "x",
      bytesUsed: 5n * 1024n * 1024n,
    })),
  });
  await db.prisma.realm.update({ where: { id: f.realmB.id }, data: { userCount: 4 } });
  const usersBefore = await db.prisma.user.count({ where: { realmId: f.realmB.id } });
  const r = await executeCommand(updateRealm, ctx(), {
    realmId: f.realmB.id,
    ...realmSettingsForm({ name: "Trivergia", userCap: "2", defaultQuota: "1", defaultQuotaUnit: "MB" }),
  });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.ok(r.ok && r.warnings?.some((w) => w.includes("user cap (2) is below the 4 accounts")), JSON.stringify(r));
  assert.ok(
    r.ok && r.warnings?.some((w) => w.includes("4 users store more than the default quota")),
    JSON.stringify(r),
  );
  assert.equal(await db.prisma.user.count({ where: { realmId: f.realmB.id } }), usersBefore);
  const realm = await db.prisma.realm.findUniqueOrThrow({ where: { id: f.realmB.id } });
  assert.equal((await usageWarnings(db.prisma, realm)).length, 2);
  const stats = (await realmStats(db.prisma, adminActor(f))).find((s) => s.id === f.realmB.id)!;
  assert.equal(stats.usersOverQuota, 4);
  await waitForNote(CHANNELS.realm, f.realmB.id);
});

test("dashboard figures: users, storage, messages waiting, computers online (live daemons only)", async () => {
  const stats = await realmStats(db.prisma, adminActor(f));
  const a = stats.find((s) => s.id === f.realmA.id)!;
  assert.equal(a.computersOnline, 1);
  assert.equal(a.storageUsed, 3n * 1024n * 1024n);
  // A daemon that stopped sending heartbeats no longer counts.
  await db.prisma.daemonInstance.update({
    where: { id: "realm-daemon-1" },
    data: { heartbeatAt: new Date(Date.now() - 60_000) },
  });
  const later = (await realmStats(db.prisma, adminActor(f))).find((s) => s.id === f.realmA.id)!;
  assert.equal(later.computersOnline, 0);
  await db.prisma.daemonInstance.update({ where: { id: "realm-daemon-1" }, data: { heartbeatAt: new Date() } });

  const msg = await db.prisma.message.create({
    data: {
      realmId: f.realmA.id,
      messageId: `${f.realmA.id}::alice-1`,
      senderId: `${f.realmA.id}::alice`,
      senderComputer: "laptop",
    },
  });
  await db.prisma.messageRecipient.create({
    data: { messageId: msg.id, recipientId: `${f.realmA.id}::alice`, userId: f.userA.id, computer: "desktop" },
  });
  const withMsg = (await realmStats(db.prisma, adminActor(f))).find((s) => s.id === f.realmA.id)!;
  assert.equal(withMsg.messagesWaiting, 1);
});
