// Issue #17 item 3: a computer deleted and re-created under the same name. Its workspace cursors
// go with it (in the same transaction, which also frees the changes only it still pinned), and the
// new computer starts at the head: it is given every change from there on and none before.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import type { RealmClient } from "../../client/sdk/index.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

async function workspaceBytes(username: string): Promise<bigint> {
  const r = await h.db.pool.query<{ workspaceBytes: bigint }>(
    `SELECT "workspaceBytes" FROM users WHERE username = $1`,
    [username],
  );
  return BigInt(r.rows[0].workspaceBytes);
}

async function seqs(c: RealmClient, ws: string): Promise<bigint[]> {
  return (await c.workspaces.pull(ws)).changes.map((x) => x.seq);
}

test("a deleted computer's cursors and pins go at once; re-created under the same name it starts at the head and skips nothing after it", async () => {
  const alice = await h.user(h.plainRealm, "alice", { computer: "laptop" });
  const bob = await h.user(h.plainRealm, "bob", { computer: "one" });
  await bob.client.createComputer("two");
  const two = await h.connect(h.plainRealm);
  await two.authenticate("bob", "two", bob.password);

  const ws = await alice.client.workspaces.create("re-created");
  await alice.client.workspaces.invite(ws, bob.userId);
  await bob.client.workspaces.accept(ws);
  await seqs(two, ws); // "two" gets its cursor (at the head, 0)

  const body = () => crypto.randomBytes(10_000);
  for (let i = 0; i < 3; i++) await alice.client.workspaces.publish(ws, body());
  assert.deepEqual(await seqs(bob.client, ws), [1n, 2n, 3n]);
  await bob.client.workspaces.ack(ws, 3n);
  assert.deepEqual(await seqs(two, ws), [1n, 2n, 3n]);
  await two.workspaces.ack(ws, 1n);
  assert.equal(await workspaceBytes("alice"), 20_000n, "2 and 3 are pinned by bob's computer two only");

  two.close();
  await bob.client.deleteComputer("two");
  // Freed in the deleting transaction, not by the next sweep.
  assert.equal(await workspaceBytes("alice"), 0n, "the pins of the deleted computer are released at once");
  const cursors = await h.db.pool.query(
    `SELECT 1 FROM workspace_cursors WHERE "workspaceId" = $1 AND computer = 'two'`,
    [ws],
  );
  assert.equal(cursors.rowCount, 0, "its cursors are gone");

  for (let i = 0; i < 2; i++) await alice.client.workspaces.publish(ws, body()); // 4, 5: freed as bob's "one" acks
  assert.deepEqual(await seqs(bob.client, ws), [4n, 5n]);
  await bob.client.workspaces.ack(ws, 5n);

  await bob.client.createComputer("two");
  const again = await h.connect(h.plainRealm);
  await again.authenticate("bob", "two", bob.password);
  const first = await again.workspaces.pull(ws);
  assert.equal(first.acked, 5n, "the re-created computer starts at the head, not at its old cursor (1)");
  assert.deepEqual(first.changes, []);
  for (let i = 0; i < 3; i++) await alice.client.workspaces.publish(ws, body()); // 6, 7, 8
  assert.deepEqual(await seqs(again, ws), [6n, 7n, 8n], "every change from the head on");
  await again.workspaces.ack(ws, 8n);
  await bob.client.workspaces.ack(ws, 8n);
  assert.equal(await workspaceBytes("alice"), 0n);
  again.close();
});
