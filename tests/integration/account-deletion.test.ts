// A user's export and account deletion on a real realm daemon: the export holds their profile,
// settings, computers, memberships and waiting messages byte for byte; deleting the account
// releases every byte charged to them, retracts their messages from recipients' inboxes, leaves
// other people's quotas alone (except a message whose last recipient they were), removes them
// from workspaces, closes their sessions and is audited. Operators do both from the console.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { recomputeUsage } from "../../lib/domain/quota.ts";
import { messageOverheadBytes } from "../../lib/domain/quota-rule.ts";
import { openAccountExport } from "../../lib/domain/account-export.ts";
import { readAll, untar } from "../helpers/export-archive.ts";
import { deleteOwnAccount } from "../../lib/account/delete-account.ts";
import { executeCommand, type CommandContext } from "../../lib/console/command.ts";
import { deleteUserAccount, operatorExportUser } from "../../lib/console/user-data.ts";
import type { Actor } from "../../lib/domain/permissions.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

async function usage(): Promise<Map<string, bigint>> {
  const r = await h.db.pool.query<{ username: string; bytesUsed: bigint }>(
    `SELECT username, "bytesUsed" FROM users WHERE "realmId" = $1`,
    [h.plainRealm],
  );
  return new Map(r.rows.map((x) => [x.username, BigInt(x.bytesUsed)]));
}

async function localUserId(username: string): Promise<string> {
  const r = await h.db.pool.query<{ id: string }>(`SELECT id FROM users WHERE "realmId" = $1 AND username = $2`, [
    h.plainRealm,
    username,
  ]);
  return r.rows[0].id;
}

test("export, then self-service deletion: bytes released to the byte, only their messages retracted", async () => {
  const alice = await h.user(h.plainRealm, "alice");
  const bob = await h.user(h.plainRealm, "bob");
  const carol = await h.user(h.plainRealm, "carol");
  const dave = await h.user(h.plainRealm, "dave");
  const body = (n: number, seed: number) =>
    crypto
      .createHash("sha512")
      .update(String(seed))
      .digest()
      .toString("hex")
      .repeat(Math.ceil(n / 128))
      .slice(0, n);
  const m1 = Buffer.from(body(70_000, 1));
  const m2 = Buffer.from(body(3_000, 2));
  const m3 = Buffer.from(body(5_000, 3));
  const toBob = await alice.client.send(alice.userId, [bob.userId], m1);
  const toBoth = await alice.client.send(alice.userId, [bob.userId, carol.userId], m2);
  const downloaded = await alice.client.send(alice.userId, [bob.userId], m3);
  assert.deepEqual(await bob.client.read(downloaded), m3);
  await bob.client.deleteMessage(downloaded); // delivered: bob has it, alice's bytes for it are already released
  const draft = alice.client.newMessageId(alice.userId);
  await alice.client.createMessage(draft, [carol.userId]);
  await alice.client.writeMessageData(draft, 0, Buffer.alloc(4_321, 7));
  await alice.client.setUserSetting("theme", "solarized");
  const b1 = Buffer.from(body(9_999, 4));
  const b2 = Buffer.from(body(1_234, 5));
  const c1 = Buffer.from(body(2_222, 6));
  const bobOnlyToAlice = await bob.client.send(bob.userId, [alice.userId], b1);
  const bobToAliceAndCarol = await bob.client.send(bob.userId, [alice.userId, carol.userId], b2);
  const carolToDave = await carol.client.send(carol.userId, [dave.userId], c1);
  const ws = await bob.client.workspaces.create("shared notes");
  await bob.client.workspaces.invite(ws, alice.userId);
  await alice.client.workspaces.accept(ws);
  const change = Buffer.from(body(8_000, 8));
  const published = await alice.client.workspaces.publish(ws, change);

  // Export: everything the realm holds for alice.
  const aliceId = await localUserId("alice");
  const exp = await openAccountExport(h.db.pool, aliceId);
  const { filename } = exp;
  const archive = await readAll(exp.stream);
  assert.match(filename, /^opengroove-export-alice-\d{4}-\d{2}-\d{2}\.tar$/);
  const files = await untar(archive);
  const profile = JSON.parse(files.get("profile.json")!.toString());
  assert.equal(profile.userId, alice.userId);
  assert.equal(profile.passwordHash, undefined, "no password hash in the export");
  assert.deepEqual(JSON.parse(files.get("settings.json")!.toString()), [
    { computer: "", key: "theme", value: "solarized" },
  ]);
  assert.deepEqual(
    JSON.parse(files.get("computers.json")!.toString()).map((c: { name: string }) => c.name),
    ["laptop"],
  );
  const memberships = JSON.parse(files.get("workspaces.json")!.toString());
  assert.equal(memberships.length, 1);
  assert.equal(memberships[0].id, ws);
  assert.equal(memberships[0].status, "ACTIVE");
  const index = JSON.parse(files.get("messages/index.json")!.toString()) as Array<{
    direction: string;
    messageId: string;
    file: string;
  }>;
  const byId = new Map(index.map((e) => [e.messageId, e]));
  assert.deepEqual([...byId.keys()].sort(), [toBob, toBoth, draft, bobOnlyToAlice, bobToAliceAndCarol].sort());
  assert.equal(byId.get(bobOnlyToAlice)!.direction, "inbound");
  assert.equal(sha(files.get(byId.get(bobOnlyToAlice)!.file)!), sha(b1));
  assert.equal(sha(files.get(byId.get(bobToAliceAndCarol)!.file)!), sha(b2));
  assert.equal(sha(files.get(byId.get(toBob)!.file)!), sha(m1));
  assert.equal(files.get(byId.get(draft)!.file)!.length, 4_321);

  // Deletion with the wrong password or confirmation changes nothing.
  const me = {
    userId: aliceId,
    realmId: h.plainRealm,
    username: "alice",
    fullId: alice.userId,
    realmSlug: "plain",
    realmName: "Plain",
  };
  const wrong = await deleteOwnAccount(h.db.pool, me, { password: "not my password", confirm: "alice" });
  assert.equal(wrong.ok, false);
  assert.deepEqual(!wrong.ok && wrong.fieldErrors?.password, ["That is not your password."]);
  const unconfirmed = await deleteOwnAccount(h.db.pool, me, { password: alice.password, confirm: "bob" });
  assert.equal(unconfirmed.ok, false);

  const before = await usage();
  const aliceBytes = before.get("alice")!;
  // Her three messages' data and overhead (toBob and the draft: one entry each, toBoth: two).
  const aliceOverhead = 2n * messageOverheadBytes(1) + messageOverheadBytes(2);
  assert.equal(
    aliceBytes,
    BigInt(m1.length + m2.length + 4_321 + "theme".length + "solarized".length + change.length) + aliceOverhead,
  );
  const heldBefore = await h.db.pool.query(
    `SELECT COALESCE(sum(size), 0)::bigint AS s FROM messages WHERE "realmId" = $1`,
    [h.plainRealm],
  );
  const countBefore = await h.db.pool.query(`SELECT "userCount" FROM realms WHERE id = $1`, [h.plainRealm]);

  const ok = await deleteOwnAccount(h.db.pool, me, { password: alice.password, confirm: "Alice" });
  assert.equal(ok.ok, true, JSON.stringify(ok));

  // Quotas: bob loses exactly the message whose last recipient alice was; everyone else is unchanged.
  const afterUsage = await usage();
  assert.equal(afterUsage.has("alice"), false);
  assert.equal(afterUsage.get("bob"), before.get("bob")! - BigInt(b1.length) - messageOverheadBytes(1));
  assert.equal(afterUsage.get("carol"), before.get("carol"));
  assert.equal(afterUsage.get("dave"), before.get("dave"));
  const heldAfter = await h.db.pool.query(
    `SELECT COALESCE(sum(size), 0)::bigint AS s FROM messages WHERE "realmId" = $1`,
    [h.plainRealm],
  );
  assert.equal(
    BigInt(heldBefore.rows[0].s) - BigInt(heldAfter.rows[0].s),
    BigInt(m1.length + m2.length + 4_321 + b1.length),
    "alice's message bytes (and the message only she was waiting for) released to the byte",
  );
  assert.deepEqual(await recomputeUsage(h.db.pool, h.plainRealm), [], "no counter drift anywhere");
  const countAfter = await h.db.pool.query(`SELECT "userCount" FROM realms WHERE id = $1`, [h.plainRealm]);
  assert.equal(countAfter.rows[0].userCount, countBefore.rows[0].userCount - 1);

  // Inboxes: alice's waiting messages are gone; other people's stay.
  assert.deepEqual(await bob.client.inbox(), []);
  assert.deepEqual(await carol.client.inbox(), [bobToAliceAndCarol]);
  assert.deepEqual(await carol.client.read(bobToAliceAndCarol), b2);
  assert.deepEqual(await dave.client.inbox(), [carolToDave]);
  // Workspaces: alice left; the change bob has not acknowledged yet stays readable, charged to nobody.
  const members = await bob.client.workspaces.members(ws);
  assert.match(String(members.find((m) => m.userId === alice.userId)?.status ?? "left"), /^left$/i);
  assert.deepEqual(await bob.client.workspaces.read(ws, published.seq, 0, change.length), change);
  // Sessions closed, sign-in refused, audited.
  await assert.rejects(alice.client.quotas());
  const again = await h.connect(h.plainRealm);
  await assert.rejects(again.authenticate("alice", "laptop", alice.password));
  const audit = await h.db.pool.query(
    `SELECT "actorLabel", after FROM audit_log WHERE action = 'user.delete' AND "targetId" = $1`,
    [aliceId],
  );
  assert.equal(audit.rows.length, 1);
  assert.equal(audit.rows[0].actorLabel, `user:${alice.userId}`);
  assert.equal(audit.rows[0].after.bytesReleased, String(aliceBytes));
});

test("operators export and delete a user from the console; operators of other realms get 404", async () => {
  const erin = await h.user(h.plainRealm, "erin");
  const frank = await h.user(h.plainRealm, "frank");
  await erin.client.send(erin.userId, [frank.userId], Buffer.alloc(1_000, 1));
  const erinId = await localUserId("erin");
  const adminRow = await h.db.prisma.operator.findFirstOrThrow({ where: { role: "ADMIN" } });
  const admin: Actor = {
    kind: "operator",
    id: adminRow.id,
    username: adminRow.username,
    role: "ADMIN",
    realmIds: new Set(),
  };
  const stranger: Actor = {
    kind: "operator",
    id: adminRow.id,
    username: "other",
    role: "REALM_OPERATOR",
    realmIds: new Set([h.inviteRealm]),
  };
  const ctx = (actor: Actor): CommandContext & { pool: typeof h.db.pool } => ({
    prisma: h.db.prisma,
    actor,
    ip: "198.51.100.7",
    pool: h.db.pool,
  });

  assert.equal(await operatorExportUser(ctx(stranger), erinId), null);
  const exp = await operatorExportUser(ctx(admin), erinId);
  assert.ok(exp && (await untar(await readAll(exp.stream))).has("messages/index.json"));

  const denied = await executeCommand(deleteUserAccount, ctx(stranger), { userId: erinId, confirm: "erin" });
  assert.equal(denied.ok, false);
  assert.equal(!denied.ok && denied.status, 404);
  const unconfirmed = await executeCommand(deleteUserAccount, ctx(admin), { userId: erinId, confirm: "" });
  assert.equal(!unconfirmed.ok && unconfirmed.status, 400);
  const frankBefore = (await usage()).get("frank");
  const done = await executeCommand(deleteUserAccount, ctx(admin), { userId: erinId, confirm: "erin" });
  assert.equal(done.ok, true, JSON.stringify(done));
  assert.deepEqual(await frank.client.inbox(), []);
  assert.equal((await usage()).get("frank"), frankBefore);
  const audit = await h.db.pool.query(
    `SELECT action, "actorLabel", ip FROM audit_log WHERE "targetId" = $1 ORDER BY id`,
    [erinId],
  );
  assert.deepEqual(
    audit.rows.map((r) => [r.action, r.actorLabel, r.ip]),
    [
      ["user.export", `operator:${adminRow.username}`, "198.51.100.7"],
      ["user.delete", `operator:${adminRow.username}`, "198.51.100.7"],
    ],
  );
});
