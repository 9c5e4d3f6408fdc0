// Workspaces under concurrency, over real sockets and a real PostgreSQL: concurrent publishes
// get one total order that every member sees; a member removed mid-stream stops receiving and
// stops pinning; the daemon's own sweep suspends an idle member (per-test inactivity override).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { OpenGrooveError, isSuspended, WORKSPACE_CHUNK_BYTES, type RealmClient } from "../../client/sdk/index.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness({ maxConnectionsPerIp: 500 });
});
after(async () => h.stop());

async function workspaceBytes(username: string, t = h): Promise<bigint> {
  const r = await t.db.pool.query<{ workspaceBytes: bigint }>(
    `SELECT "workspaceBytes" FROM users WHERE username = $1`,
    [username],
  );
  return BigInt(r.rows[0].workspaceBytes);
}

const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

/** Everything a computer sees, in order: seq → author and content hash; acks as it goes. */
async function drain(c: RealmClient, ws: string): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const p = await c.workspaces.pull(ws, 7);
    for (const ch of p.changes) seen.push(`${ch.seq} ${ch.author} ${sha(await c.workspaces.download(ws, ch))}`);
    if (p.upTo > p.acked) await c.workspaces.ack(ws, p.upTo);
    if (!p.more) return seen;
  }
}

test("concurrent publishes from several members get a single total order that all members see", async () => {
  const names = ["ann", "ben", "cat", "dan", "eve"];
  const users = await Promise.all(names.map((n) => h.user(h.plainRealm, n)));
  const ws = await users[0].client.workspaces.create("busy");
  for (const u of users.slice(1)) {
    await users[0].client.workspaces.invite(ws, u.userId);
    await u.client.workspaces.accept(ws);
  }
  // Each member publishes 12 changes from 3 parallel connections (36 uploads in flight per member at peak).
  const published = new Map<bigint, string>();
  await Promise.all(
    users.map(async (u, i) => {
      const conns = [u.client];
      for (let k = 0; k < 2; k++) {
        const c = await h.connect(h.plainRealm);
        await c.authenticate(names[i], "laptop", u.password);
        conns.push(c);
      }
      await Promise.all(
        conns.map(async (c, k) => {
          for (let j = 0; j < 4; j++) {
            const body = crypto.randomBytes(1000 + ((i * 7 + k * 3 + j * 11) % 5) * 70_000);
            const r = await c.workspaces.publish(ws, body);
            published.set(r.seq, `${r.seq} ${u.userId} ${sha(body)}`);
          }
        }),
      );
    }),
  );
  assert.equal(published.size, 60);
  const order = [...published.keys()].sort((a, b) => (a < b ? -1 : 1));
  assert.deepEqual(
    order,
    Array.from({ length: 60 }, (_, i) => BigInt(i + 1)),
    "sequence numbers are 1..60 without gaps or duplicates",
  );
  const expected = order.map((s) => published.get(s)!);

  // Every member's computer sees the same sequence, except its own changes (it has those).
  const views = await Promise.all(users.map((u) => drain(u.client, ws)));
  for (let i = 0; i < users.length; i++) {
    assert.deepEqual(
      views[i],
      expected.filter((l) => !l.includes(` ${users[i].userId} `)),
      `member ${names[i]}`,
    );
  }
  for (const n of names) assert.equal(await workspaceBytes(n), 0n, `${n}'s changes were all freed`);
});

test("a member removed mid-stream stops receiving and stops pinning storage", async () => {
  const owner = await h.user(h.plainRealm, "olga");
  const stay = await h.user(h.plainRealm, "sam");
  const gone = await h.user(h.plainRealm, "rex");
  await h.db.pool.query(`UPDATE users SET "quotaBytes" = 100000000 WHERE username IN ('olga', 'rex')`);
  const ws = await owner.client.workspaces.create("removal");
  for (const u of [stay, gone]) {
    await owner.client.workspaces.invite(ws, u.userId);
    await u.client.workspaces.accept(ws);
  }
  const body = crypto.randomBytes(4 * 1024 * 1024);
  const { seq } = await owner.client.workspaces.publish(ws, body);
  assert.equal(await workspaceBytes("olga"), BigInt(body.length));
  await drain(stay.client, ws);
  assert.equal(await workspaceBytes("olga"), BigInt(body.length), "rex still pins the change");

  // Rex is also uploading a change of his own when he is removed.
  const handle = await gone.client.workspaces.begin(ws);
  await gone.client.workspaces.write(handle, 0, Buffer.alloc(300_000, 9));
  assert.equal(await workspaceBytes("rex"), 300_000n);

  const removedPush = new Promise<string>((resolve) =>
    gone.client.workspaces.onEvent((e) => e.kind === "removed" && resolve(e.workspaceId)),
  );
  const chunks: number[] = [];
  const reading = gone.client.workspaces.readStream(
    ws,
    { seq, size: body.length },
    async (d, offset) => {
      chunks.push(offset);
      if (chunks.length === 2) {
        const f = await owner.client.workspaces.remove(ws, gone.userId);
        assert.deepEqual([f.freed, f.released], [1, BigInt(body.length) + 300_000n]);
      }
    },
    1,
  );
  await assert.rejects(reading, (e: OpenGrooveError) => e.status === "UNAUTHORIZED" && e.reason.startsWith("removed:"));
  assert.equal(chunks.length, 2, "no chunk after the removal");
  assert.ok(chunks.length * WORKSPACE_CHUNK_BYTES < body.length);
  assert.equal(await removedPush, ws);
  assert.equal(await workspaceBytes("olga"), 0n, "the removed member no longer pins the change");
  assert.equal(await workspaceBytes("rex"), 0n, "the removed member's upload was dropped");
  await assert.rejects(
    gone.client.workspaces.write(handle, 300_000, Buffer.alloc(10)),
    (e: OpenGrooveError) => e.status === "NOSUCHMESSAGE",
  );
  await assert.rejects(gone.client.workspaces.pull(ws), (e: OpenGrooveError) => e.status === "UNAUTHORIZED");

  // Later changes reach the remaining member only.
  let rexPushes = 0;
  gone.client.workspaces.onEvent((e) => e.kind === "change" && rexPushes++);
  const samPush = new Promise<bigint>((resolve) =>
    stay.client.workspaces.onEvent((e) => e.kind === "change" && resolve(e.seq)),
  );
  const next = await owner.client.workspaces.publish(ws, Buffer.from("after"));
  assert.equal(await samPush, next.seq);
  assert.equal(rexPushes, 0);
  assert.equal((await stay.client.workspaces.ack(ws, next.seq)).released, 5n);
});

test("the daemon's sweep suspends a member idle past the limit; the returning member is told and can resync", async () => {
  const t = await startRealmHarness({ workspaceInactivityMs: 2500, workspaceSweepMs: 200 });
  try {
    const busy = await t.user(t.plainRealm, "busy");
    const idle = await t.user(t.plainRealm, "idle");
    const ws = await busy.client.workspaces.create("sweep");
    await busy.client.workspaces.invite(ws, idle.userId);
    await idle.client.workspaces.accept(ws);
    await busy.client.workspaces.publish(ws, Buffer.alloc(20_000, 1));
    assert.equal(await workspaceBytes("busy", t), 20_000n);
    const suspended = new Promise<void>((resolve) =>
      idle.client.workspaces.onEvent((e) => e.kind === "suspended" && resolve()),
    );
    // The busy member keeps syncing; the idle one does nothing.
    const deadline = Date.now() + 8000;
    while ((await workspaceBytes("busy", t)) !== 0n && Date.now() < deadline) {
      await busy.client.workspaces.pull(ws);
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(await workspaceBytes("busy", t), 0n, "the idle member stopped pinning");
    await suspended;
    const err = await idle.client.workspaces.pull(ws).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(isSuspended(err), String(err));
    const list = await busy.client.workspaces.members(ws);
    assert.deepEqual(
      list.map((m) => m.status),
      ["active", "suspended"],
    );
    assert.equal(await idle.client.workspaces.resync(ws), 1n);
    await busy.client.workspaces.publish(ws, Buffer.alloc(10, 2));
    assert.deepEqual(
      (await idle.client.workspaces.pull(ws)).changes.map((c) => c.seq),
      [2n],
    );
  } finally {
    await t.stop();
  }
});
