// Channels over real TLS sockets: membership (create, add → invitetochannel, accept →
// newchannelmember, list, remove, leave, delete), channel connections (authenticate type
// `channel`) relaying binary packets between members on two daemon instances, the errors, and
// the channels quota under concurrency.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { collect } from "../helpers/events.ts";
import { RealmClient, type ChannelPacket } from "../../client/sdk/index.ts";
import { RealmDaemon } from "../../realm-daemon/daemon.ts";
import { createLogger } from "../../lib/log.ts";

let h: RealmHarness;
let second: RealmDaemon;
before(async () => {
  h = await startRealmHarness();
  second = new RealmDaemon(
    { ...h.daemon.config },
    createLogger("realm-test-2", process.env.OPENGROOVE_LOG_LEVEL ?? "warn"),
  );
  await second.start();
});
after(async () => {
  await second.stop();
  await h.stop();
});

function connectSecond(): Promise<RealmClient> {
  const realm = second.realmById(h.plainRealm)!;
  return RealmClient.connect({
    host: HOST,
    port: second.listeners.actualPort(realm.port)!,
    realm: realm.slug,
    timeoutMs: 20_000,
  });
}

async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("a channel relays packets between members' channel connections across instances", async () => {
  const alice = await h.user(h.plainRealm, "chalice");
  const bob = await h.user(h.plainRealm, "chbob");
  const carol = await h.user(h.plainRealm, "chcarol");
  const invites = collect(bob.client, "invitetochannel");
  const ch = await alice.client.channels.create("game night");
  await alice.client.channels.add(ch, bob.userId);
  assert.deepEqual(await invites.waitFor(1), [[ch, "game night", alice.userId]]);
  assert.deepEqual(await bob.client.channels.list(), [
    { id: ch, status: "invited", role: "member", name: "game night" },
  ]);

  // alice's channel connection on instance 1.
  const aPipe = await h.connect(h.plainRealm);
  await aPipe.channels.authenticate("chalice", "laptop", alice.password, ch);
  const aGot: ChannelPacket[] = [];
  aPipe.channels.onData((p) => aGot.push(p));
  const joined = collect(aPipe, "newchannelmember");
  // Not yet a member: refused.
  const early = await connectSecond();
  const r = await early.request("authenticate", ["channel", "chbob", "laptop", bob.password, ch]);
  assert.equal(r.status, "UNAUTHORIZED");
  early.close();
  await bob.client.channels.accept(ch);
  assert.deepEqual(await joined.waitFor(1), [[ch, bob.userId]]);

  // bob's channel connection on instance 2.
  const bPipe = await connectSecond();
  await bPipe.channels.authenticate("chbob", "laptop", bob.password, ch);
  const bGot: ChannelPacket[] = [];
  bPipe.channels.onData((p) => bGot.push(p));
  assert.deepEqual(
    (await bPipe.channels.members()).map((m) => [m.userId, m.role, m.status]),
    [
      [alice.userId, "owner", "active"],
      [bob.userId, "member", "active"],
    ],
  );
  // Binary data with newlines and zero bytes arrives intact, in order, not echoed to the sender.
  const blobs = [Buffer.from([0, 10, 13, 10, 255, 0]), Buffer.from("move e2-e4\n"), Buffer.alloc(64 * 1024, 7)];
  for (const b of blobs) await aPipe.channels.send(b);
  await until(() => bGot.length === 3, "bob's three packets");
  assert.deepEqual(
    bGot.map((p) => [p.from, p.fromComputer, p.data.toString("hex")]),
    blobs.map((b) => [alice.userId, "laptop", b.toString("hex")]),
  );
  await bPipe.channels.send(Buffer.from("to alice only"), alice.userId);
  await until(() => aGot.length === 1, "alice's packet");
  assert.equal(aGot[0].data.toString(), "to alice only");
  assert.equal(aGot[0].from, bob.userId);
  // The channel connection is not a status change: bob's computers stay as they were.
  assert.deepEqual((await alice.client.userStatus(bob.userId)).computers, ["laptop"]);

  // A non-member cannot open the channel; too large a packet is refused.
  const c = await h.connect(h.plainRealm);
  assert.equal(
    (await c.request("authenticate", ["channel", "chcarol", "laptop", carol.password, ch])).status,
    "NOSUCHCHANNEL",
  );
  const big = Buffer.alloc(64 * 1024 + 1);
  const tooBig = await aPipe.request("channelsend", ["", String(big.length), big.toString("latin1")]);
  assert.equal(tooBig.status, "BADARGUMENTS");

  // Removing bob closes his channel connection (told with channelclosed); his sends stop.
  const bClosed = collect(bPipe, "channelclosed");
  const bLost = new Promise<void>((resolve) => bPipe.onClose(() => resolve()));
  await alice.client.channels.remove(ch, bob.userId);
  assert.deepEqual(await bClosed.waitFor(1), [[ch, "removed from the channel"]]);
  await bLost;
  assert.deepEqual(await bob.client.channels.list(), []);

  // Deleting the channel closes alice's channel connection too.
  const aClosed = collect(aPipe, "channelclosed");
  await alice.client.channels.delete(ch);
  assert.deepEqual(await aClosed.waitFor(1), [[ch, "the channel was deleted"]]);
  assert.deepEqual(await alice.client.channels.list(), []);
});

test("channel commands refuse bad arguments, strangers and the wrong connection state", async () => {
  const owner = await h.user(h.plainRealm, "chowner");
  const other = await h.user(h.plainRealm, "chother");
  const ch = await owner.client.channels.create("x");
  const st = async (c: RealmClient, cmd: string, args: string[]) => (await c.request(cmd, args)).status;
  assert.equal(await st(owner.client, "createchannel", [""]), "BADARGUMENTS");
  assert.equal(await st(owner.client, "createchannel", ["a", "b"]), "BADARGUMENTS");
  assert.equal(await st(owner.client, "addchannelmember", [ch]), "BADARGUMENTS");
  assert.equal(await st(owner.client, "addchannelmember", [ch, "nobody"]), "NOSUCHUSER");
  assert.equal(await st(owner.client, "addchannelmember", ["not-a-channel", other.userId]), "NOSUCHCHANNEL");
  assert.equal(await st(other.client, "addchannelmember", [ch, other.userId]), "NOSUCHCHANNEL");
  await owner.client.channels.add(ch, other.userId);
  assert.equal(await st(owner.client, "addchannelmember", [ch, other.userId]), "ALREADYEXISTS");
  await other.client.channels.accept(ch);
  assert.equal(await st(other.client, "acceptchannelinvite", [ch]), "ALREADYEXISTS");
  assert.equal(await st(other.client, "removechannelmember", [ch, owner.userId]), "UNAUTHORIZED");
  assert.equal(await st(other.client, "deletechannel", [ch]), "UNAUTHORIZED");
  assert.equal(await st(owner.client, "leavechannel", [ch]), "BADARGUMENTS");
  assert.equal(await st(owner.client, "channelsend", ["", "1", "x"]), "NOTALLOWED");
  // On a channel connection: ping works, ordinary commands do not; a bad length is BADARGUMENTS.
  const pipe = await h.connect(h.plainRealm);
  assert.equal(await st(pipe, "authenticate", ["channel", "chother", "", other.password, ch]), "BADARGUMENTS");
  await pipe.channels.authenticate("chother", "laptop", other.password, ch);
  await pipe.ping();
  assert.equal(await st(pipe, "listinboundmessages", []), "NOTALLOWED");
  assert.equal(await st(pipe, "channelsend", ["", "5", "abc"]), "BADARGUMENTS");
  assert.equal(await st(pipe, "channelsend", ["nobody", "1", "x"]), "NOSUCHUSER");
  // leavechannel closes the leaver's channel connection.
  const lost = new Promise<void>((resolve) => pipe.onClose(() => resolve()));
  await other.client.channels.leave(ch);
  await lost;
});

test("the channels quota holds under concurrent creates", async () => {
  const LIMIT = 3;
  const u = await h.user(h.plainRealm, "chquota");
  await h.db.pool.query(`UPDATE realms SET "maxChannelsPerUser" = $2 WHERE id = $1`, [h.plainRealm, LIMIT]);
  try {
    const clients = [u.client];
    await u.client.createComputer("pc2");
    const c2 = await h.connect(h.plainRealm);
    await c2.authenticate("chquota", "pc2", u.password);
    clients.push(c2);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => clients[i % 2].request("createchannel", [`c${i}`])),
    );
    assert.equal(results.filter((r) => r.status === "OK").length, LIMIT);
    assert.equal(results.filter((r) => r.status === "QUOTAEXCEEDED").length, 12 - LIMIT);
    const q = Object.fromEntries((await u.client.call("getquotas")).lines.map((l) => l.split("=")));
    assert.equal(q.channels, String(LIMIT));
    assert.equal(q.channelsused, String(LIMIT));
    const left = Object.fromEntries((await u.client.call("getquotasremainer")).lines.map((l) => l.split("=")));
    assert.equal(left.channels, "0");
  } finally {
    await h.db.pool.query(`UPDATE realms SET "maxChannelsPerUser" = 16 WHERE id = $1`, [h.plainRealm]);
  }
});
