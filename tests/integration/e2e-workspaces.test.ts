// End-to-end encrypted workspace changes through a real realm daemon and PostgreSQL: every
// member computer decrypts, the stored blocks hold no plaintext, and a removed member cannot
// read changes published after its removal even with the stored bytes in hand.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import type { RealmClient } from "../../client/sdk/index.ts";
import { generateComputerKeys, type ComputerKeys } from "../../client/sdk/crypto/computer-keys.ts";
import { KnownKeys, memoryBackend } from "../../client/sdk/crypto/known-keys.ts";
import { SecureMessaging } from "../../client/sdk/secure-messages.ts";
import { SecureWorkspaces } from "../../client/sdk/secure-workspaces.ts";
import { openMessage, SealedMessageError } from "../../client/sdk/crypto/sealed-message.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => {
  await h.stop();
});

interface Member {
  client: RealmClient;
  userId: string;
  keys: ComputerKeys;
  ws: SecureWorkspaces;
}

async function member(name: string, computer = "laptop"): Promise<Member> {
  const u = await h.user(h.plainRealm, name, { computer });
  const keys = generateComputerKeys();
  const sm = new SecureMessaging(
    u.client,
    { userId: u.userId, computer },
    { current: keys, previous: [] },
    new KnownKeys(memoryBackend()),
  );
  await sm.publishKeys();
  return { client: u.client, userId: u.userId, keys, ws: new SecureWorkspaces(u.client, sm) };
}

async function storedChange(workspaceId: string, seq: bigint): Promise<Buffer> {
  const r = await h.db.pool.query<{ data: Buffer }>(
    `SELECT b.data FROM workspace_change_blocks b JOIN workspace_changes c ON c.id = b."changeId"
      WHERE c."workspaceId" = $1 AND c.seq = $2 ORDER BY b.block`,
    [workspaceId, seq.toString()],
  );
  return Buffer.concat(r.rows.map((x) => x.data));
}

async function readAll(m: Member, workspaceId: string): Promise<string[]> {
  const pulled = await m.client.workspaces.pull(workspaceId);
  const out: string[] = [];
  for (const c of pulled.changes) {
    const parts: Uint8Array[] = [];
    await m.ws.read(workspaceId, c, (p) => void parts.push(p));
    out.push(Buffer.concat(parts).toString());
  }
  await m.client.workspaces.ack(workspaceId, pulled.upTo);
  return out;
}

test("workspace changes are encrypted for the active members; a removed member cannot read new ones", async () => {
  const owner = await member("wsowner");
  const bob = await member("wsbob");
  const carol = await member("wscarol");
  const id = await owner.client.workspaces.create("secret plans");
  for (const m of [bob, carol]) {
    await owner.client.workspaces.invite(id, m.userId);
    await m.client.workspaces.accept(id);
  }
  const first = await owner.ws.publish(id, Buffer.from("first: the plaintext-marker draft"));
  assert.equal((await storedChange(id, first.seq)).indexOf("plaintext-marker"), -1, "no plaintext stored");
  assert.deepEqual(await readAll(bob, id), ["first: the plaintext-marker draft"]);
  assert.deepEqual(await readAll(carol, id), ["first: the plaintext-marker draft"]);

  await owner.client.workspaces.remove(id, carol.userId);
  const second = await owner.ws.publish(id, Buffer.from("second: after carol left"));
  const stored = await storedChange(id, second.seq);
  assert.ok(stored.length > 0);
  assert.deepEqual(await readAll(bob, id), ["second: after carol left"]);
  // Even with the stored bytes (e.g. from the realm's database), carol's keys open nothing.
  await assert.rejects(
    (async () => {
      for await (const _ of openMessage([stored], { keyring: [carol.keys], expectId: id })) void _;
    })(),
    (e: unknown) => e instanceof SealedMessageError && e.code === "NOTFORME",
  );
  const header = JSON.parse(stored.subarray(8, 8 + stored.readUInt32BE(4)).toString()) as {
    to: Array<{ user: string }>;
  };
  assert.deepEqual(header.to.map((t) => t.user).sort(), [bob.userId, owner.userId].sort());
});

test("a large change streams encrypted; a change copied into another workspace is refused", async () => {
  const a = await member("wsbig");
  const b = await member("wsbigr");
  const id = await a.client.workspaces.create("big");
  const other = await a.client.workspaces.create("other");
  for (const w of [id, other]) {
    await a.client.workspaces.invite(w, b.userId);
    await b.client.workspaces.accept(w);
  }
  const total = 3 * 1024 * 1024 + 7;
  async function* body() {
    const piece = Buffer.alloc(100_000, "m");
    for (let left = total; left > 0; left -= piece.length) yield piece.subarray(0, Math.min(left, piece.length));
  }
  const r = await a.ws.publish(id, body(), { size: total });
  const pulled = await b.client.workspaces.pull(id);
  let got = 0;
  await b.ws.read(id, pulled.changes[0], (c) => void (got += c.length));
  assert.equal(got, total);
  assert.equal(pulled.changes[0].seq, r.seq);
  const stored = await storedChange(id, r.seq);
  await assert.rejects(
    (async () => {
      for await (const _ of openMessage([stored], { keyring: [b.keys], expectId: other })) void _;
    })(),
    (e: unknown) => e instanceof SealedMessageError && e.code === "WRONGID",
  );
});
