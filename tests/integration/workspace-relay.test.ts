// Workspaces (issue #7) over real TLS sockets against a real realm daemon and PostgreSQL: a
// change is held, charged to its author, until every other member computer has acknowledged
// it, including one that was offline; pushes; permissions; quota refusals leave nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { OpenGrooveError, type RealmClient } from "../../client/sdk/index.ts";
import { sweepWorkspaces } from "../../lib/domain/workspace-gc.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

async function workspaceBytes(username: string): Promise<bigint> {
  const r = await h.db.pool.query<{ workspaceBytes: bigint; bytesUsed: bigint }>(
    `SELECT "workspaceBytes", "bytesUsed" FROM users WHERE username = $1`,
    [username],
  );
  assert.equal(
    BigInt(r.rows[0].bytesUsed),
    BigInt(r.rows[0].workspaceBytes),
    "only workspace bytes are stored in these tests",
  );
  return BigInt(r.rows[0].workspaceBytes);
}

async function storedBlocks(workspaceId: string): Promise<number> {
  const r = await h.db.pool.query<{ n: string }>(
    `SELECT COALESCE(sum(octet_length(b.data)), 0)::text AS n FROM workspace_change_blocks b JOIN workspace_changes c ON c.id = b."changeId" WHERE c."workspaceId" = $1`,
    [workspaceId],
  );
  return Number(r.rows[0].n);
}

/** A user with two computers; the second is connected unless `offline`. */
async function member(
  name: string,
  opts: { offline?: boolean } = {},
): Promise<{ userId: string; password: string; c1: RealmClient; c2?: RealmClient }> {
  const u = await h.user(h.plainRealm, name, { computer: "one" });
  await u.client.createComputer("two");
  let c2: RealmClient | undefined;
  if (!opts.offline) {
    c2 = await h.connect(h.plainRealm);
    await c2.authenticate(name, "two", u.password);
  }
  return { userId: u.userId, password: u.password, c1: u.client, c2 };
}

function nextPush(c: RealmClient, workspaceId: string): Promise<{ seq: bigint; at: number }> {
  return new Promise((resolve) => {
    c.workspaces.onEvent((e) => {
      if (e.kind === "change" && e.workspaceId === workspaceId) resolve({ seq: e.seq, at: performance.now() });
    });
  });
}

async function pullAndAck(c: RealmClient, ws: string, expect: Buffer): Promise<{ freed: number; released: bigint }> {
  const p = await c.workspaces.pull(ws);
  assert.equal(p.changes.length, 1);
  const body = await c.workspaces.download(ws, p.changes[0]);
  assert.ok(body.equals(expect));
  const a = await c.workspaces.ack(ws, p.changes[0].seq);
  return { freed: a.freed, released: a.released };
}

test("three members on two computers each, one offline: the change is held until the offline computer acks, then freed", async () => {
  const alice = await member("alice");
  const bob = await member("bob");
  const carol = await member("carol", { offline: true });
  const ws = await alice.c1.workspaces.create("Design notes");
  assert.equal(await alice.c1.workspaces.invite(ws, bob.userId), bob.userId);
  await alice.c1.workspaces.invite(ws, carol.userId.toUpperCase().replace("PLAIN.TEST:63999::", `${h.plainRealm}::`));
  assert.equal(await bob.c1.workspaces.accept(ws), 0n);
  assert.equal(await carol.c1.workspaces.accept(ws), 0n);
  const members = await bob.c2!.workspaces.members(ws);
  assert.deepEqual(
    members.map((m) => [m.userId, m.role, m.status]),
    [
      [alice.userId, "owner", "active"],
      [bob.userId, "member", "active"],
      [carol.userId, "member", "active"],
    ],
  );

  const online = [alice.c2!, bob.c1, bob.c2!, carol.c1];
  const pushes = online.map((c) => nextPush(c, ws));
  const body = crypto.randomBytes(700_000);
  const t0 = performance.now();
  const sealed = await alice.c1.workspaces.publish(ws, body);
  assert.equal(sealed.seq, 1n);
  for (const p of await Promise.all(pushes)) {
    assert.equal(p.seq, 1n);
    assert.ok(p.at - t0 < 1000, `push after ${(p.at - t0).toFixed(0)} ms`);
  }
  assert.equal(await workspaceBytes("alice"), 700_000n);
  assert.equal((await alice.c1.quotas()).workspaces, 700_000n);

  // Every online computer except the author's pulls and acks: still held for carol's offline computer.
  for (const c of online) {
    assert.deepEqual(await pullAndAck(c, ws, body), { freed: 0, released: 0n });
    assert.equal(await workspaceBytes("alice"), 700_000n, "held while a member computer still lacks it");
  }
  assert.equal(await storedBlocks(ws), 700_000);

  // Carol's second computer comes online: it gets the change, and its ack frees it.
  const carol2 = await h.connect(h.plainRealm);
  await carol2.authenticate("carol", "two", carol.password);
  assert.deepEqual(await pullAndAck(carol2, ws, body), { freed: 1, released: 700_000n });
  assert.equal(await workspaceBytes("alice"), 0n);
  assert.equal((await alice.c1.quotas()).workspaces, 0n);
  assert.equal(await storedBlocks(ws), 0);
  await assert.rejects(carol2.workspaces.read(ws, 1n, 0, 10), (e: OpenGrooveError) => e.status === "NOSUCHMESSAGE");

  // The author's own computer never pinned it; the list shows the head and its cursor.
  const p = await alice.c1.workspaces.pull(ws);
  assert.deepEqual([p.head, p.changes.length], [1n, 0]);
  await alice.c1.workspaces.ack(ws, 1n);
  const list = await alice.c1.workspaces.list();
  assert.deepEqual(
    list.map((w) => [w.id, w.name, w.role, w.status, w.head, w.acked]),
    [[ws, "Design notes", "owner", "active", 1n, 1n]],
  );
});

test("a change is invisible until sealed; over quota the whole change is discarded and nothing stays charged", async () => {
  const dave = await h.user(h.plainRealm, "dave");
  const erin = await h.user(h.plainRealm, "erin");
  const ws = await dave.client.workspaces.create("quota");
  await dave.client.workspaces.invite(ws, erin.userId);
  await erin.client.workspaces.accept(ws);

  const handle = await dave.client.workspaces.begin(ws);
  assert.equal(await dave.client.workspaces.write(handle, 0, Buffer.alloc(100_000, 1)), 100_000);
  assert.equal(await workspaceBytes("dave"), 100_000n, "charged as written");
  assert.deepEqual((await erin.client.workspaces.pull(ws)).changes, [], "a half-uploaded change is never visible");
  await assert.rejects(
    erin.client.workspaces.read(ws, 1n, 0, 10),
    (e: OpenGrooveError) => e.status === "NOSUCHMESSAGE",
  );
  await assert.rejects(
    dave.client.workspaces.write(handle, 5, Buffer.alloc(10)),
    (e: OpenGrooveError) => e.status === "INDEXOUTOFBOUNDS" && /100000/.test(e.reason),
  );

  await h.db.pool.query(`UPDATE users SET "quotaBytes" = 250000 WHERE username = 'dave'`);
  await dave.client.workspaces.write(handle, 100_000, Buffer.alloc(100_000, 2));
  await assert.rejects(
    dave.client.workspaces.write(handle, 200_000, Buffer.alloc(100_000, 3)),
    (e: OpenGrooveError) => e.status === "QUOTAEXCEEDED",
  );
  assert.equal(await workspaceBytes("dave"), 0n, "nothing partial stays charged");
  assert.equal(await storedBlocks(ws), 0, "nothing partial stays stored");
  await assert.rejects(dave.client.workspaces.seal(handle), (e: OpenGrooveError) => e.status === "NOSUCHMESSAGE");
  // Declared sizes are refused before anything is sent; publish aborts what it started.
  await assert.rejects(
    dave.client.workspaces.publish(ws, Buffer.alloc(300_000)),
    (e: OpenGrooveError) => e.status === "QUOTAEXCEEDED",
  );
  await assert.rejects(
    dave.client.workspaces.publish(ws, [Buffer.alloc(200_000), Buffer.alloc(100_000)]),
    (e: OpenGrooveError) => e.status === "QUOTAEXCEEDED",
  );
  assert.equal(await workspaceBytes("dave"), 0n);
  const open = await h.db.pool.query(`SELECT 1 FROM workspace_changes WHERE "workspaceId" = $1`, [ws]);
  assert.equal(open.rowCount, 0);

  // The realm's maxWorkspaceChangeBytes bounds a change, declared or not.
  await h.db.pool.query(`UPDATE realms SET "maxWorkspaceChangeBytes" = 150000 WHERE id = $1`, [h.plainRealm]);
  try {
    await assert.rejects(
      dave.client.workspaces.begin(ws, 150_001),
      (e: OpenGrooveError) => e.status === "QUOTAEXCEEDED" && /maxWorkspaceChangeBytes/.test(e.reason),
    );
    await assert.rejects(
      dave.client.workspaces.publish(ws, [Buffer.alloc(100_000), Buffer.alloc(100_000)]),
      (e: OpenGrooveError) => e.status === "QUOTAEXCEEDED",
    );
    assert.equal(await workspaceBytes("dave"), 0n);
    const ok = await dave.client.workspaces.publish(ws, Buffer.alloc(150_000, 7));
    assert.equal(ok.seq, 1n);
    const a = await erin.client.workspaces.ack(ws, 1n);
    assert.deepEqual([a.freed, a.released], [1, 150_000n]);
  } finally {
    await h.db.pool.query(`UPDATE realms SET "maxWorkspaceChangeBytes" = 268435456 WHERE id = $1`, [h.plainRealm]);
  }
});

test("permissions: canCreateWorkspaces, owner/manager-only invites and removals, non-members see nothing", async () => {
  const frank = await h.user(h.plainRealm, "frank");
  const gina = await h.user(h.plainRealm, "gina");
  const hank = await h.user(h.plainRealm, "hank");
  await h.db.pool.query(`UPDATE users SET "canCreateWorkspaces" = false WHERE username = 'hank'`);
  await assert.rejects(hank.client.workspaces.create("nope"), (e: OpenGrooveError) => e.status === "UNAUTHORIZED");

  const ws = await frank.client.workspaces.create("team");
  await assert.rejects(hank.client.workspaces.pull(ws), (e: OpenGrooveError) => e.status === "NOSUCHWORKSPACE");
  await assert.rejects(
    hank.client.workspaces.pull("not-a-workspace"),
    (e: OpenGrooveError) => e.status === "NOSUCHWORKSPACE",
  );
  await assert.rejects(
    frank.client.workspaces.invite(ws, `${h.plainRealm}::nobody`),
    (e: OpenGrooveError) => e.status === "NOSUCHUSER",
  );
  await frank.client.workspaces.invite(ws, gina.userId);
  await assert.rejects(
    frank.client.workspaces.invite(ws, gina.userId),
    (e: OpenGrooveError) => e.status === "ALREADYEXISTS",
  );
  await assert.rejects(
    gina.client.workspaces.pull(ws),
    (e: OpenGrooveError) => e.status === "UNAUTHORIZED" && /accept/.test(e.reason),
  );
  await gina.client.workspaces.accept(ws);
  await assert.rejects(
    gina.client.workspaces.invite(ws, hank.userId),
    (e: OpenGrooveError) => e.status === "UNAUTHORIZED",
  );
  await frank.client.workspaces.invite(ws, hank.userId, "manager");
  await hank.client.workspaces.accept(ws);
  await assert.rejects(
    hank.client.workspaces.remove(ws, frank.userId),
    (e: OpenGrooveError) => e.status === "UNAUTHORIZED",
  );
  await assert.rejects(
    gina.client.workspaces.remove(ws, hank.userId),
    (e: OpenGrooveError) => e.status === "UNAUTHORIZED",
  );
  await hank.client.workspaces.remove(ws, gina.userId);
  await assert.rejects(
    gina.client.workspaces.pull(ws),
    (e: OpenGrooveError) => e.status === "UNAUTHORIZED" && e.reason.startsWith("removed:"),
  );
  // A removed member can be invited again; a remote user is recorded as invited (delivery needs federation).
  await hank.client.workspaces.invite(ws, gina.userId);
  await frank.client.workspaces.invite(ws, "elsewhere.test:63745::zoe");
  const m = await frank.client.workspaces.members(ws);
  assert.deepEqual(
    m.map((x) => [x.userId, x.status]),
    [
      [frank.userId, "active"],
      [hank.userId, "active"],
      [gina.userId, "invited"],
      ["elsewhere.test:63745::zoe", "invited"],
    ],
  );
  await gina.client.workspaces.leave(ws);
  assert.deepEqual(await gina.client.workspaces.list(), []);
});

test("inactivity: a member away longer than the realm's limit is suspended, stops pinning, is told so, and can resync", async () => {
  const ivan = await h.user(h.plainRealm, "ivan");
  const judy = await h.user(h.plainRealm, "judy");
  const ws = await ivan.client.workspaces.create("inactive");
  await ivan.client.workspaces.invite(ws, judy.userId);
  await judy.client.workspaces.accept(ws);
  await ivan.client.workspaces.publish(ws, Buffer.alloc(50_000, 1));
  assert.equal(await workspaceBytes("ivan"), 50_000n);
  const sweep = () => sweepWorkspaces(h.db.pool, { inactivityMs: 0, uploadExpiryMs: 86_400_000 });

  // 20 days away: within the realm's 21. 22 days: suspended, but not if the workspace allows 30.
  await h.db.pool.query(
    `UPDATE workspace_members SET "lastSeenAt" = now() - interval '20 days' WHERE "memberId" = $1`,
    [judy.userId],
  );
  assert.deepEqual(
    (await sweep()).suspended.filter((s) => s.workspaceId === ws),
    [],
  );
  await h.db.pool.query(`UPDATE workspaces SET "inactivityDays" = 30 WHERE id = $1`, [ws]);
  await h.db.pool.query(
    `UPDATE workspace_members SET "lastSeenAt" = now() - interval '22 days' WHERE "memberId" = $1`,
    [judy.userId],
  );
  assert.deepEqual(
    (await sweep()).suspended.filter((s) => s.workspaceId === ws),
    [],
  );
  await h.db.pool.query(`UPDATE workspaces SET "inactivityDays" = NULL WHERE id = $1`, [ws]);
  const notice = new Promise<string>((resolve) =>
    judy.client.workspaces.onEvent((e) => e.kind === "suspended" && resolve(e.name)),
  );
  const r = await sweep();
  assert.deepEqual(
    r.suspended.filter((s) => s.workspaceId === ws),
    [{ workspaceId: ws, memberId: judy.userId }],
  );
  assert.equal(await notice, "inactive");
  assert.equal(await workspaceBytes("ivan"), 0n, "the suspended member's cursor no longer pins the change");

  const err = await judy.client.workspaces.pull(ws).then(
    () => null,
    (e: OpenGrooveError) => e,
  );
  assert.ok(
    err &&
      err.status === "UNAUTHORIZED" &&
      err.reason.startsWith("suspended:") &&
      /21 days/.test(err.reason) &&
      /workspaceresync/.test(err.reason),
    String(err),
  );
  assert.equal((await judy.client.workspaces.list())[0].status, "suspended");
  assert.equal(await judy.client.workspaces.resync(ws), 1n);
  assert.deepEqual((await judy.client.workspaces.pull(ws)).changes, []);
  await ivan.client.workspaces.publish(ws, Buffer.alloc(10, 2));
  const p = await judy.client.workspaces.pull(ws);
  assert.deepEqual(
    p.changes.map((c) => c.seq),
    [2n],
  );
  assert.equal((await judy.client.workspaces.ack(ws, 2n)).released, 10n);
});
