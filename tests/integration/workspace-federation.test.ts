// Workspaces across realms (issue #7): a workspace on its home realm R1 with a member of R2.
// The invitation, the acceptance, the changes and the acks travel over realm-to-realm
// federation (real TLS links); the author stays charged until R2 acknowledged the change for
// every computer of its member. Runs twice: each realm with its own database, and both realms on
// one database (workspace-federation-one-db.test.ts), as the two default realms of an install.
// R2 keeps its own mirror of the workspace, under its own id (mb()).
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { OpenGrooveError, type RealmClient } from "../../client/sdk/index.ts";
import { joinFieldsWithTrailingData } from "../../lib/protocol/index.ts";
import { mirrorIdFor } from "../../lib/federation/workspace-mirror.ts";
import { waitFor, rawPeer, type RealmNode } from "../helpers/federation.ts";
import { federationSuite } from "../helpers/federation-suite.ts";

let r1: RealmNode;
let r2: RealmNode;
const PASSWORD = "correct horse battery";
federationSuite(["r1", "r2"], (realms) => ([r1, r2] = realms));

async function workspaceBytes(node: RealmNode, username: string): Promise<bigint> {
  const r = await node.db.pool.query<{ workspaceBytes: bigint }>(
    `SELECT "workspaceBytes" FROM users WHERE username = $1 AND "realmId" = $2`,
    [username, node.realmId],
  );
  return BigInt(r.rows[0].workspaceBytes);
}

async function heldFor(node: RealmNode, peer: RealmNode): Promise<bigint> {
  const r = await node.db.pool.query<{ bytesHeld: bigint }>(
    `SELECT "bytesHeld" FROM federation_peers WHERE "realmId" = $1`,
    [peer.realmId],
  );
  return BigInt(r.rows[0]?.bytesHeld ?? 0);
}

async function pullAll(c: RealmClient, ws: string): Promise<Array<{ seq: bigint; body: Buffer }>> {
  const p = await c.workspaces.pull(ws);
  const out = [];
  for (const ch of p.changes) out.push({ seq: ch.seq, body: await c.workspaces.download(ws, ch) });
  return out;
}

const state: { ws: string; a?: RealmClient; b1?: RealmClient; b2?: RealmClient; bob: string } = { ws: "", bob: "" };
/** The workspace's id on R2 (its mirror there). */
const mb = () => mirrorIdFor(r2.realmId, r1.realmId, state.ws);

test("a@R1 invites b@R2; b accepts on R2; a publishes; both of b's computers pull and ack; a is released only after R2 acknowledged", async () => {
  const a = await r1.user("alice");
  const b = await r2.user("bob", "one");
  await b.client.createComputer("two");
  const b2 = await r2.login("bob", "two", b.password);
  Object.assign(state, { a: a.client, b1: b.client, b2, bob: b.userId });

  const ws = await a.client.workspaces.create("across realms");
  state.ws = ws;
  assert.equal(await a.client.workspaces.invite(ws, b.userId), b.userId);
  await waitFor(
    async () => (await b.client.workspaces.list().catch(() => [])).some((w) => w.id === mb() && w.status === "invited"),
    10_000,
    "the invitation on R2",
  );
  await b.client.workspaces.accept(mb());
  await waitFor(
    async () => (await a.client.workspaces.members(ws)).some((x) => x.userId === b.userId && x.status === "active"),
    10_000,
    "b active on R1",
  );

  const body = crypto.randomBytes(300_000); // several deliverdata chunks
  const pushed = new Promise<bigint>((resolve) =>
    b2.workspaces.onEvent((e) => e.kind === "change" && e.workspaceId === mb() && resolve(e.seq)),
  );
  const { seq } = await a.client.workspaces.publish(ws, body);
  assert.equal(seq, 1n);
  assert.equal(await workspaceBytes(r1, "alice"), 300_000n);
  assert.equal(await pushed, 1n, "b's computer on R2 is told");

  const got1 = await pullAll(b.client, mb());
  assert.equal(got1.length, 1);
  assert.ok(got1[0].body.equals(body));
  await b.client.workspaces.ack(mb(), 1n);
  assert.equal(await heldFor(r2, r1), 300_000n, "R2 holds its copy for b's second computer, charged to R1's allowance");
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(await workspaceBytes(r1, "alice"), 300_000n, "still charged: b's second computer on R2 has not acked");

  const got2 = await pullAll(b2, mb());
  assert.equal(got2.length, 1);
  assert.ok(got2[0].body.equals(body));
  await b2.workspaces.ack(mb(), 1n);
  assert.equal(await heldFor(r2, r1), 0n, "R2's copy is freed once both computers have it");
  await waitFor(
    async () => (await workspaceBytes(r1, "alice")) === 0n,
    10_000,
    "alice's bytes to be released after R2's ack",
  );
  const left = await r1.db.pool.query(`SELECT 1 FROM workspace_changes WHERE "workspaceId" = $1`, [ws]);
  assert.equal(left.rowCount, 0);
});

test("R2 is down while a publishes; R2 comes back; the change arrives once", async () => {
  const { ws, a } = state;
  await r2.stop();
  const body = crypto.randomBytes(70_000);
  const { seq } = await a!.workspaces.publish(ws, body);
  assert.equal(seq, 2n);
  const pending = () =>
    r1.db.pool.query<{ attempts: number; lastError: string }>(
      `SELECT attempts, "lastError" FROM federation_outbox WHERE kind = 'ws-change' AND "deliveredAt" IS NULL`,
    );
  // The worker tries (and fails) within a poll or two; on a loaded machine that can take a while.
  await waitFor(async () => (await pending()).rows.some((r) => r.attempts >= 1), 15_000, "a failed attempt");
  const q = await pending();
  assert.equal(q.rows.length, 1);
  assert.ok(q.rows[0].attempts >= 1, JSON.stringify(q.rows));
  assert.equal(await workspaceBytes(r1, "alice"), 70_000n);

  await r2.start();
  const b1 = await r2.login("bob", "one", PASSWORD);
  const b2 = await r2.login("bob", "two", PASSWORD);
  Object.assign(state, { b1, b2 });
  await waitFor(async () => (await b1.workspaces.pull(mb())).changes.length === 1, 10_000, "the change on R2");
  const stored = await r2.db.pool.query(`SELECT 1 FROM workspace_changes WHERE "workspaceId" = $1 AND seq = 2`, [mb()]);
  assert.equal(stored.rowCount, 1, "stored once");

  // A retry after R2 took it (say R1 crashed before recording the delivery) is recognised by (workspace, seq).
  const { link, auth } = await rawPeer(r1, r2);
  assert.equal(auth.status, "OK");
  const again = await link.request("wschangebegin", [ws, "2", "70000", `${r1.realmId}::alice`, "laptop"]);
  assert.equal(again.status, "OK");
  assert.deepEqual(again.lines, ["state=complete"]);
  link.close();

  for (const c of [b1, b2]) {
    const got = await pullAll(c, mb());
    assert.deepEqual(
      got.map((g) => g.seq),
      [2n],
    );
    assert.ok(got[0].body.equals(body));
    await c.workspaces.ack(mb(), 2n);
  }
  await waitFor(async () => (await workspaceBytes(r1, "alice")) === 0n, 10_000, "alice's bytes to be released");
  assert.equal(await heldFor(r2, r1), 0n);
});

async function publishedOn(c: RealmClient, ws: string): Promise<{ seq: bigint } | { reason: string }> {
  return new Promise((resolve) =>
    c.workspaces.onEvent((e) => {
      if (e.workspaceId !== ws) return;
      if (e.kind === "published") resolve({ seq: e.seq });
      if (e.kind === "refused") resolve({ reason: e.reason });
    }),
  );
}

test("b@R2 publishes: R1 orders it between its own changes; a and b's other computer get the same order; b is charged on R2 until R1 took it", async () => {
  const { ws, a, b1, b2 } = state;
  const x = crypto.randomBytes(5_000);
  const y = crypto.randomBytes(150_000);
  const z = crypto.randomBytes(7_000);
  assert.equal((await a!.workspaces.publish(ws, x)).seq, 3n);
  const told = publishedOn(b1!, mb());
  const sealed = await b1!.workspaces.publish(mb(), y);
  assert.equal(sealed.seq, 0n, "on a mirror the seal answers seq 0: the home realm orders the change");
  assert.deepEqual(await told, { seq: 4n });
  assert.equal(await workspaceBytes(r2, "bob"), 0n, "released on R2 once R1 took it");
  assert.equal(await heldFor(r1, r2), 150_000n, "R1 holds it against R2's allowance");
  assert.equal((await a!.workspaces.publish(ws, z)).seq, 5n);

  const gotA = await pullAll(a!, ws);
  assert.deepEqual(
    gotA.map((g) => g.seq),
    [4n],
  );
  assert.ok(gotA[0].body.equals(y));
  await a!.workspaces.ack(ws, 5n);
  await waitFor(async () => (await b2!.workspaces.pull(mb())).changes.length === 3, 10_000, "changes 3..5 on R2");
  const got2 = await pullAll(b2!, mb());
  assert.deepEqual(
    got2.map((g) => g.seq),
    [3n, 4n, 5n],
  );
  assert.ok(got2[1].body.equals(y));
  const got1 = await pullAll(b1!, mb());
  assert.deepEqual(
    got1.map((g) => g.seq),
    [3n, 5n],
    "the author's own computer is not given its change",
  );
  const onR2 = await r2.db.pool.query(`SELECT 1 FROM workspace_changes WHERE "workspaceId" = $1 AND seq = 4`, [mb()]);
  assert.equal(onR2.rowCount, 1, "R2's copy waits for b's second computer only");
  await b2!.workspaces.ack(mb(), 5n);
  await b1!.workspaces.ack(mb(), 5n);
  await waitFor(async () => (await heldFor(r1, r2)) === 0n, 10_000, "R1 to free b's change after R2's ack");
  assert.equal(await heldFor(r2, r1), 0n);
  assert.equal(await workspaceBytes(r1, "alice"), 0n);
});

test("R1 is down while b publishes: staged and charged on R2, invisible; arrives once when R1 is back", async () => {
  const { ws, b1, b2 } = state;
  await r1.stop();
  const body = crypto.randomBytes(80_000);
  const told = publishedOn(b1!, mb());
  assert.equal((await b1!.workspaces.publish(mb(), body)).seq, 0n);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(await workspaceBytes(r2, "bob"), 80_000n, "charged to b on R2 while R1 has not taken it");
  const q = await r2.db.pool.query<{ attempts: number }>(
    `SELECT attempts FROM federation_outbox WHERE kind = 'ws-publish' AND "deliveredAt" IS NULL`,
  );
  assert.equal(q.rows.length, 1);
  assert.ok(q.rows[0].attempts >= 1);
  assert.equal((await b2!.workspaces.pull(mb())).changes.length, 0, "nobody sees it before R1 ordered it");

  await r1.start();
  state.a = await r1.login("alice", "laptop", PASSWORD);
  assert.deepEqual(await told, { seq: 6n });
  assert.equal(await workspaceBytes(r2, "bob"), 0n);
  const onR1 = await r1.db.pool.query(
    `SELECT 1 FROM workspace_changes WHERE "workspaceId" = $1 AND "originId" IS NOT NULL AND seq = 6`,
    [ws],
  );
  assert.equal(onR1.rowCount, 1, "stored once");
  const got = await pullAll(state.a, ws);
  assert.deepEqual(
    got.map((g) => g.seq),
    [6n],
  );
  assert.ok(got[0].body.equals(body));
  await state.a.workspaces.ack(ws, 6n);
  await waitFor(async () => (await b2!.workspaces.pull(mb())).changes.length === 1, 10_000, "change 6 on R2");
  await b2!.workspaces.ack(mb(), 6n);
  // b's authoring computer never acks its own change: R2 acks for b all the same.
  await waitFor(async () => (await heldFor(r1, r2)) === 0n, 10_000, "R1 to free change 6 without b1's ack");
  assert.equal(await heldFor(r2, r1), 0n);
});

test("R2 never hears R1's answer to its ws-publish: the forwarded change coming back settles it, and it is not ordered twice", async () => {
  const { ws, b1, b2 } = state;
  // Hold R2's own forwarding back and do its first attempt by hand, dropping the reply.
  await r2.db.pool.query(
    `ALTER TABLE federation_outbox ALTER COLUMN "nextAttemptAt" SET DEFAULT now() + interval '1 hour'`,
  );
  const body = crypto.randomBytes(3_000);
  const told = publishedOn(b1!, mb());
  try {
    assert.equal((await b1!.workspaces.publish(mb(), body)).seq, 0n);
  } finally {
    await r2.db.pool.query(`ALTER TABLE federation_outbox ALTER COLUMN "nextAttemptAt" SET DEFAULT now()`);
  }
  const row = await r2.db.pool.query<{ id: bigint; seq: bigint }>(
    `SELECT id, seq FROM federation_outbox WHERE kind = 'ws-publish' AND "deliveredAt" IS NULL`,
  );
  assert.equal(row.rows.length, 1);
  assert.equal(await workspaceBytes(r2, "bob"), 3_000n);
  const changeId = String(row.rows[0].seq);
  const { link, auth } = await rawPeer(r2, r1);
  assert.equal(auth.status, "OK");
  const begin = await link.request("wspublishbegin", [ws, changeId, "3000", state.bob, "one"]);
  assert.deepEqual(begin.lines, ["state=open"]);
  assert.equal(
    (await link.request("wspublishdata", joinFieldsWithTrailingData([ws, changeId, "0", "3000"], body))).status,
    "OK",
  );
  const commit = await link.request("wspublishcommit", [ws, changeId]);
  assert.deepEqual(commit.lines, ["seq=7"]);
  link.close();
  assert.deepEqual(await told, { seq: 7n }, "settled by the ws-change that brought it back");
  assert.equal(await workspaceBytes(r2, "bob"), 0n);
  await r2.db.pool.query(`UPDATE federation_outbox SET "nextAttemptAt" = now() WHERE id = $1`, [row.rows[0].id]);
  await waitFor(
    async () =>
      (
        await r2.db.pool.query(`SELECT 1 FROM federation_outbox WHERE id = $1 AND "deliveredAt" IS NOT NULL`, [
          row.rows[0].id,
        ])
      ).rowCount === 1,
    10_000,
    "the ws-publish row closed",
  );
  const head = await r1.db.pool.query<{ nextSeq: bigint }>(`SELECT "nextSeq" FROM workspaces WHERE id = $1`, [ws]);
  assert.equal(BigInt(head.rows[0].nextSeq), 8n, "ordered once");
  await waitFor(async () => (await b2!.workspaces.pull(mb())).changes.length === 1, 10_000, "change 7 on R2");
  for (const c of [b2!, b1!]) await c.workspaces.ack(mb(), 7n);
  await state.a!.workspaces.ack(ws, 7n);
  await waitFor(async () => (await heldFor(r1, r2)) === 0n, 10_000, "R1 to free change 7");
});

test("a publish by a member R1 already removed (R2 not told yet) is refused; b's bytes on R2 are released and b is told", async () => {
  const { ws, b1, bob } = state;
  // The removal as R1 records it, before its wsremove reached R2.
  await r1.db.pool.query(
    `UPDATE workspace_members SET status = 'REMOVED' WHERE "workspaceId" = $1 AND "memberId" = $2`,
    [ws, bob],
  );
  const told = publishedOn(b1!, mb());
  assert.equal((await b1!.workspaces.publish(mb(), crypto.randomBytes(9_000))).seq, 0n);
  const out = await told;
  assert.ok("reason" in out && /^UNAUTHORIZED/.test(out.reason), JSON.stringify(out));
  assert.equal(await workspaceBytes(r2, "bob"), 0n);
  assert.equal(await heldFor(r1, r2), 0n);
  const onR1 = await r1.db.pool.query(
    `SELECT 1 FROM workspace_changes WHERE "workspaceId" = $1 AND "originId" IS NOT NULL`,
    [ws],
  );
  assert.equal(onR1.rowCount, 0);
  const head = await r1.db.pool.query<{ nextSeq: bigint }>(`SELECT "nextSeq" FROM workspaces WHERE id = $1`, [ws]);
  assert.equal(BigInt(head.rows[0].nextSeq), 8n, "nothing was ordered");
  await r1.db.pool.query(
    `UPDATE workspace_members SET status = 'ACTIVE' WHERE "workspaceId" = $1 AND "memberId" = $2`,
    [ws, bob],
  );
});

test("b is removed on R1: R2 stops delivering to b and nothing is held for b any more", async () => {
  const { ws, a, b1, bob } = state;
  await a!.workspaces.remove(ws, bob);
  await waitFor(
    async () => {
      const r = await r2.db.pool.query<{ status: string }>(
        `SELECT status FROM workspace_members WHERE "workspaceId" = $1`,
        [mb()],
      );
      return r.rows[0]?.status === "REMOVED";
    },
    10_000,
    "the removal on R2",
  );
  await assert.rejects(
    b1!.workspaces.pull(mb()),
    (e: unknown) => e instanceof OpenGrooveError && e.status === "UNAUTHORIZED" && /removed/.test(e.message),
  );
  const { seq } = await a!.workspaces.publish(ws, crypto.randomBytes(10_000));
  assert.equal(seq, 8n);
  assert.equal(await workspaceBytes(r1, "alice"), 0n, "no remote cursor pins the change");
  await new Promise((r) => setTimeout(r, 300));
  const rows = await r1.db.pool.query(`SELECT 1 FROM federation_outbox WHERE kind = 'ws-change' AND seq = 8`);
  assert.equal(rows.rowCount, 0, "nothing is forwarded to R2");
  const onR2 = await r2.db.pool.query(`SELECT 1 FROM workspace_changes WHERE "workspaceId" = $1 AND seq = 8`, [mb()]);
  assert.equal(onR2.rowCount, 0);
});

test("a remote invitee who declines on R2 is LEFT on R1; an invitation to a user R2 does not have is refused visibly", async () => {
  const { ws, a } = state;
  const carol = await r2.user("carol");
  await a!.workspaces.invite(ws, carol.userId);
  await waitFor(
    async () => (await carol.client.workspaces.list().catch(() => [])).some((w) => w.id === mb()),
    10_000,
    "the invitation on R2",
  );
  await carol.client.workspaces.leave(mb());
  await waitFor(
    async () => (await a!.workspaces.members(ws)).some((x) => x.userId === carol.userId && x.status === "left"),
    10_000,
    "carol LEFT on R1",
  );

  const ghost = `${r2.realmId}::nobody`;
  await a!.workspaces.invite(ws, ghost);
  // The inviter sees it: the member stays listed, REMOVED, with its invitation refused.
  await waitFor(
    async () =>
      (await a!.workspaces.members(ws)).some(
        (x) => x.userId === ghost && x.status === "removed" && x.invitation === "refused",
      ),
    10_000,
    "the refused invitation to be shown to the inviter",
  );
  assert.ok(
    (await a!.workspaces.members(ws)).some((x) => x.userId === carol.userId && x.invitation === "delivered"),
    "carol's invitation was delivered",
  );
  const o = await r1.db.pool.query<{ lastError: string }>(
    `SELECT "lastError" FROM federation_outbox WHERE kind = 'ws-invite' AND "memberId" = $1 AND "failedAt" IS NOT NULL`,
    [ghost],
  );
  assert.match(o.rows[0]?.lastError ?? "", /NOSUCHUSER/);
});
