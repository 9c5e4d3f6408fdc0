// Direct links and the LAN node over loopback with a real realm daemon (no namespaces, no
// root): the handshake against realm-published keys (impostors on either side refused), the
// sealed channel, dedupe of a message that arrives both directly and through the realm, the
// realm fallback when a peer does not answer, and direct workspace changes only between members.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { generateComputerKeys, type ComputerKeys } from "../../client/sdk/crypto/keys-core.ts";
import { publishOwnKeys } from "../../client/sdk/crypto/key-directory.ts";
import { encodeAnnouncement } from "../../client/sdk/lan/announce.ts";
import { LanNode, type LanImessage } from "../../client/sdk/lan/lan-node.ts";
import { DirectLink, DirectLinkError } from "../../client/sdk/lan/direct-link.ts";
import { DirectServer } from "../../client/sdk/lan/direct-server.ts";
import { PeerKeyCache } from "../../client/sdk/lan/peer-keys.ts";
import { joinFieldsWithTrailingData } from "../../lib/protocol/index.ts";
import type { RealmClient } from "../../client/sdk/index.ts";

let h: RealmHarness;
const nodes: LanNode[] = [];
before(async () => {
  h = await startRealmHarness();
});
after(async () => {
  for (const n of nodes) await n.stop();
  await h.stop();
});

interface Side {
  client: RealmClient;
  userId: string;
  keys: ComputerKeys;
  node: LanNode;
  got: LanImessage[];
}

async function side(name: string, realmSyncDelayMs = 300): Promise<Side> {
  const u = await h.user(h.plainRealm, name);
  const keys = generateComputerKeys();
  const me = { userId: u.userId, computer: "laptop" };
  await publishOwnKeys(u.client, me, keys);
  const node = new LanNode({
    client: u.client,
    me,
    keys,
    directHost: "127.0.0.1",
    directPort: 0,
    startDiscovery: false,
    ackTimeoutMs: 1_000,
    realmSyncDelayMs,
  });
  await node.start();
  nodes.push(node);
  const got: LanImessage[] = [];
  node.on("imessage", (m: LanImessage) => got.push(m));
  return { client: u.client, userId: u.userId, keys, node, got };
}

/** `of` hears `peer`'s genuine announcement (what the UDP socket would hand over). */
async function hear(of: Side, peer: Side, port = peer.node.server.port): Promise<void> {
  const d = encodeAnnouncement({ userId: peer.userId, computer: "laptop", addresses: ["127.0.0.1"], port }, peer.keys);
  await of.node.discovery.handle(d, "127.0.0.1");
  assert.ok(of.node.discovery.peer(peer.userId, "laptop"), "peer accepted");
}

const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(cond(), what);
};

test("the handshake proves both computers' realm-published keys; impostors are refused", async () => {
  const alice = await side("dlalice");
  const bob = await side("dlbob");
  const dial = (keys: ComputerKeys, expect = { userId: bob.userId, computer: "laptop" }, port = bob.node.server.port) =>
    DirectLink.connect({
      host: "127.0.0.1",
      port,
      me: { userId: alice.userId, computer: "laptop" },
      keys,
      expect,
      peerKeys: PeerKeyCache.forRealm(alice.client),
    });
  const link = await dial(alice.keys);
  assert.equal((await link.request("ping")).status, "OK");
  link.close();

  // Claims to be alice with keys the realm does not publish for her.
  await assert.rejects(dial(generateComputerKeys()), (e: DirectLinkError) => e.status === "BADAUTH");
  // Dials bob's listener expecting another computer.
  await assert.rejects(
    dial(alice.keys, { userId: bob.userId, computer: "desk" }),
    (e: DirectLinkError) => e.status === "NOSUCHCOMPUTER",
  );
  // A listener that claims to be bob without bob's key.
  const fake = new DirectServer({
    me: { userId: bob.userId, computer: "laptop" },
    keys: generateComputerKeys(),
    peerKeys: PeerKeyCache.forRealm(bob.client),
    host: "127.0.0.1",
    port: 0,
    onRequest: async () => ({ status: "OK" }),
  });
  await fake.start();
  try {
    await assert.rejects(dial(alice.keys, undefined, fake.port), (e: DirectLinkError) => e.status === "BADAUTH");
  } finally {
    await fake.stop();
  }
});

test("a message arriving directly and through the realm reaches the application once", async () => {
  const alice = await side("ddalice");
  const bob = await side("ddbob");
  await hear(alice, bob);
  const sent = await alice.node.sendImmediate(bob.userId, "laptop", "hi directly");
  assert.equal(sent.via, "direct");
  await until(() => bob.got.length === 1, "delivered directly");
  // The same id again through the realm (as after a reply lost on a link that then failed).
  await alice.client.sendImessage(bob.userId, "laptop", `ogim1 ${sent.id} hi directly`);
  // ...and a new one through the realm, which must arrive (so the wait below is not vacuous).
  await alice.client.sendImessage(bob.userId, "laptop", "ogim1 other-id later");
  await until(() => bob.got.length >= 2, "second message");
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(
    bob.got.map((m) => [m.id, m.text, m.via]),
    [
      [sent.id, "hi directly", "direct"],
      ["other-id", "later", "realm"],
    ],
  );
});

test("a peer that does not answer: the realm carries the message", async () => {
  const alice = await side("dfalice");
  const bob = await side("dfbob");
  // bob's announcement names a port where nothing listens (its listener is elsewhere).
  const closed = new DirectServer({
    me: { userId: bob.userId, computer: "laptop" },
    keys: bob.keys,
    peerKeys: PeerKeyCache.forRealm(bob.client),
    host: "127.0.0.1",
    port: 0,
    onRequest: async () => ({ status: "OK" }),
  });
  await closed.start();
  const port = closed.port;
  await closed.stop();
  await hear(alice, bob, port);
  const sent = await alice.node.sendImmediate(bob.userId, "laptop", "via the realm");
  assert.equal(sent.via, "realm");
  await until(() => bob.got.length === 1, "delivered through the realm");
  assert.equal(bob.got[0].via, "realm");
  assert.equal(bob.got[0].id, sent.id);
});

test("workspace changes go directly only between active members, then the realm sync skips them", async () => {
  const alice = await side("dwalice");
  // bob acts on the realm's push only after 10 s (so the direct copy surely comes first here);
  // the explicit sync below stands for it.
  const bob = await side("dwbob", 10_000);
  const eve = await side("dweve");
  const ws = await alice.client.workspaces.create("direct notes");
  await alice.client.workspaces.invite(ws, bob.userId);
  await bob.client.workspaces.accept(ws);
  await bob.node.syncWorkspace(ws);
  const changes: Array<{ seq: bigint; via: string; data: string }> = [];
  bob.node.on("workspacechange", (c: { seq: bigint; via: string; data: Buffer }) =>
    changes.push({ seq: c.seq, via: c.via, data: c.data.toString() }),
  );
  await hear(alice, bob);
  const r = await alice.node.publishChange(ws, Buffer.from("one"));
  assert.deepEqual(r.direct, [`${bob.userId} laptop`]);
  await until(() => changes.length === 1, "direct change");
  assert.deepEqual(changes[0], { seq: r.seq, via: "direct", data: "one" });
  // The sync the realm's push leads to finds the change delivered and acknowledges it.
  assert.equal(await bob.node.syncWorkspace(ws), 0);
  assert.equal(changes.length, 1);
  assert.equal((await bob.client.workspaces.pull(ws)).changes.length, 0, "acknowledged on the realm");

  // eve (not a member) cannot push a change into bob's view of the workspace.
  await hear(eve, bob);
  const link = await DirectLink.connect({
    host: "127.0.0.1",
    port: bob.node.server.port,
    me: { userId: eve.userId, computer: "laptop" },
    keys: eve.keys,
    expect: { userId: bob.userId, computer: "laptop" },
    peerKeys: PeerKeyCache.forRealm(eve.client),
  });
  const forged = await link.request(
    "workspacechange",
    joinFieldsWithTrailingData([ws, "99", "4"], Buffer.from("evil")),
  );
  link.close();
  assert.equal(forged.status, "UNAUTHORIZED");
  assert.equal(changes.length, 1);
});

test("the recipient's immediate-message quota applies to direct messages too", async () => {
  const alice = await side("dqalice");
  const bob = await side("dqbob");
  await bob.client.imessageQuotas.set(alice.userId, 2);
  await hear(alice, bob);
  for (const text of ["one", "two"])
    assert.equal((await alice.node.sendImmediate(bob.userId, "laptop", text)).via, "direct");
  await assert.rejects(
    alice.node.sendImmediate(bob.userId, "laptop", "three"),
    (e: Error & { status?: string }) => e.status === "RATELIMITED" && /2 immediate messages per minute/.test(e.message),
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(
    bob.got.map((m) => m.text),
    ["one", "two"],
  );
});
