// LAN discovery and direct links between two clients in separate network namespaces (made and
// removed here; needs root and iproute2), with the realm daemon in this namespace reachable from
// both: discovery both ways, forged announcements ignored, direct delivery of an immediate
// message and a workspace change, and after the LAN link is cut, delivery through the realm,
// exactly once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { makeLanLab, netnsUnavailable, LanAgent, type LanLab } from "../helpers/netns.ts";
import { registerAccount } from "../../lib/domain/registration.ts";
import { RealmClient } from "../../client/sdk/index.ts";
import { generateComputerKeys } from "../../client/sdk/crypto/keys-core.ts";
import { publishOwnKeys } from "../../client/sdk/crypto/key-directory.ts";
import { toBase64Url } from "../../client/sdk/crypto/bytes.ts";
import { encodeAnnouncement, LAN_MULTICAST_GROUP } from "../../client/sdk/lan/announce.ts";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CLI_BIN as BIN, runCommand } from "../helpers/cli.ts";

const cliDir = fs.mkdtempSync(path.join(os.tmpdir(), "og-lan-cli-"));

/** The CLI, run inside a namespace. */
const cliIn = (ns: string, args: string[], input = "") =>
  runCommand("ip", ["netns", "exec", ns, process.execPath, BIN, "--config-dir", cliDir, ...args], { input });

const why = netnsUnavailable();
let lab: LanLab | undefined;
let h: RealmHarness | undefined;
const agents: LanAgent[] = [];
const PASSWORD = "correct horse battery";

before(async () => {
  if (why) return;
  lab = makeLanLab();
  h = await startRealmHarness({}, { bindHost: lab.realmAddress });
});

after(async () => {
  for (const a of agents) a.kill();
  await h?.stop();
  lab?.destroy();
  fs.rmSync(cliDir, { recursive: true, force: true });
});

async function makeUser(username: string): Promise<string> {
  const u = await registerAccount(h!.db.pool, {
    realmId: h!.plainRealm,
    username,
    password: PASSWORD,
    captchaPassed: true,
  });
  await h!.db.pool.query(`INSERT INTO computers (id, "userId", name) VALUES (gen_random_uuid(), $1, 'laptop')`, [u.id]);
  return `${h!.plainRealm}::${u.username}`;
}

const isPeer = (userId: string) => (e: Record<string, unknown>) =>
  e.ev === "peer" && String(e.userId).toLowerCase() === userId.toLowerCase();

test("two computers on one LAN: discovery, forged announcements, direct delivery, realm fallback", async (t) => {
  // Not a skip: CI runs as root with iproute2, so a missing prerequisite is a failure to see.
  assert.equal(why, undefined, why);
  const L = lab!;
  const [alice, bob, carol] = [await makeUser("lanalice"), await makeUser("lanbob"), await makeUser("lancarol")];
  const discoveryPort = 40_000 + Math.floor(Math.random() * 20_000);
  const common = {
    realmHost: L.realmAddress,
    realmPort: h!.port(h!.plainRealm),
    realmSlug: "plain",
    password: PASSWORD,
    computer: "laptop",
    group: LAN_MULTICAST_GROUP,
    discoveryPort,
    directPort: 0,
  };
  const a = new LanAgent(L.nsA, { ...common, username: "lanalice", lanAddress: L.lanA });
  const b = new LanAgent(L.nsB, { ...common, username: "lanbob", lanAddress: L.lanB });
  agents.push(a, b);
  await a.waitFor((e) => e.ev === "ready", "start", 30_000);
  await b.waitFor((e) => e.ev === "ready", "start", 30_000);

  await t.test("discovery both ways, keys checked against the realm", async () => {
    const seenByA = await a.waitFor(isPeer(bob), "peer bob");
    const seenByB = await b.waitFor(isPeer(alice), "peer alice");
    assert.equal(seenByA.address, L.lanB);
    assert.equal(seenByB.address, L.lanA);
    assert.match(String(seenByA.fingerprint), /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
  });

  await t.test("opengroove peers lists the LAN computers of the realm", async () => {
    // bob's second computer: the CLI publishes its own keys for "desk", not over the agent's "laptop".
    const login = await cliIn(
      L.nsB,
      [
        "login",
        bob,
        "--computer",
        "desk",
        "--create-computer",
        "--host",
        L.realmAddress,
        "--port",
        String(common.realmPort),
        "--password-stdin",
      ],
      `${PASSWORD}\n`,
    );
    assert.equal(login.code, 0, login.stderr);
    const args = ["peers", "--wait", "3", "--interface", L.lanB, "--discovery-port", String(discoveryPort)];
    const r = await cliIn(L.nsB, [...args, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const listed = (JSON.parse(r.stdout) as { peers: Array<Record<string, unknown>> }).peers;
    const byUser = (u: string) => listed.find((p) => String(p.userId).toLowerCase() === u.toLowerCase());
    assert.equal(byUser(alice)?.address, L.lanA);
    assert.equal(byUser(alice)?.computer, "laptop");
    assert.equal(byUser(alice)?.key, "realm");
    assert.equal(byUser(bob)?.computer, "laptop", "the agent beside it in namespace B");
    const text = await cliIn(L.nsB, args);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^USER +COMPUTER +ADDRESS +FINGERPRINT +KEY\n/);
    assert.ok(text.stdout.includes(`${L.lanA}:`), text.stdout);
  });

  await t.test("forged announcements are ignored; a genuine one is accepted once", async () => {
    // carol publishes real keys on the realm (from this namespace: the realm address is local here).
    const c = await RealmClient.connect({ host: L.realmAddress, port: common.realmPort, realm: "plain" });
    try {
      await c.authenticate("lancarol", "laptop", PASSWORD);
      const carolKeys = generateComputerKeys();
      await publishOwnKeys(c, { userId: carol, computer: "laptop" }, carolKeys);
      const claim = { userId: carol, computer: "laptop", addresses: [L.lanA], port: 9 };
      const before = (await b.command({ cmd: "state" })).rejected as Record<string, number>;
      // (1) a key of its own, validly signed, but not the one the realm publishes for carol
      const wrongKey = encodeAnnouncement(claim, generateComputerKeys());
      // (2) carol's real key, signature damaged
      const badSig = encodeAnnouncement(claim, carolKeys);
      badSig[badSig.length - 1] ^= 1;
      // (3) carol's real key, validly signed, but two minutes old
      const stale = encodeAnnouncement({ ...claim, ts: Date.now() - 120_000 }, carolKeys);
      for (const d of [wrongKey, badSig, stale]) await a.command({ cmd: "raw", b64: toBase64Url(d) });
      const after3 = async () => (await b.command({ cmd: "state" })).rejected as Record<string, number>;
      for (let i = 0; i < 100; i++) {
        const r = await after3();
        if (r.keymismatch > before.keymismatch && r.badsignature > before.badsignature && r.stale > before.stale) break;
        await new Promise((r2) => setTimeout(r2, 100));
      }
      const r = await after3();
      assert.equal(r.keymismatch, before.keymismatch + 1, "key not matching the realm: ignored");
      assert.equal(r.badsignature, before.badsignature + 1, "bad signature: ignored");
      assert.equal(r.stale, before.stale + 1, "stale: ignored");
      assert.equal(b.count(isPeer(carol)), 0, "no forged peer");
      // (4) genuine: accepted; the same datagram again is a replay.
      const genuine = encodeAnnouncement(claim, carolKeys);
      await a.command({ cmd: "raw", b64: toBase64Url(genuine) });
      await b.waitFor(isPeer(carol), "genuine carol");
      await a.command({ cmd: "raw", b64: toBase64Url(genuine) });
      for (let i = 0; i < 50 && (await after3()).replay === before.replay; i++)
        await new Promise((x) => setTimeout(x, 100));
      assert.equal((await after3()).replay, before.replay + 1, "replayed announcement: ignored");
    } finally {
      c.close();
    }
  });

  const wsId = String((await a.command({ cmd: "wscreate", name: "lan notes" })).ws);
  await a.command({ cmd: "wsinvite", ws: wsId, user: bob });
  await b.command({ cmd: "wsaccept", ws: wsId });

  await t.test("direct delivery of an immediate message and a workspace change", async () => {
    const sent = await a.command({ cmd: "imessage", to: bob, computer: "laptop", text: "hello over the LAN" });
    assert.equal(sent.via, "direct");
    const got = await b.waitFor((e) => e.ev === "imessage" && e.id === sent.id, "direct imessage");
    assert.equal(got.via, "direct");
    assert.equal(got.text, "hello over the LAN");
    assert.equal(String(got.from).toLowerCase(), alice.toLowerCase());

    const pub = await a.command({ cmd: "publish", ws: wsId, text: "change one" });
    assert.deepEqual(
      (pub.direct as string[]).map((x) => x.toLowerCase()),
      [`${bob} laptop`.toLowerCase()],
    );
    const isChange = (e: Record<string, unknown>) => e.ev === "workspacechange" && e.seq === pub.seq;
    const change = await b.waitFor(isChange, "direct change");
    assert.equal(change.via, "direct");
    assert.equal(change.data, "change one");
    // The realm's push comes too; B's sync (after 3 s) finds it delivered and only acknowledges.
    await new Promise((r) => setTimeout(r, 4_500));
    assert.equal(b.count(isChange), 1, "delivered once");
    assert.equal(
      b.count((e) => e.ev === "imessage" && e.id === sent.id),
      1,
    );
  });

  await t.test("LAN link cut: the realm delivers, exactly once", async () => {
    L.cutLan();
    const sent = await a.command({ cmd: "imessage", to: bob, computer: "laptop", text: "after the cut" });
    assert.equal(sent.via, "realm");
    const got = await b.waitFor((e) => e.ev === "imessage" && e.id === sent.id, "imessage through the realm");
    assert.equal(got.via, "realm");
    assert.equal(got.text, "after the cut");

    const pub = await a.command({ cmd: "publish", ws: wsId, text: "change two" });
    assert.deepEqual(pub.direct, []);
    const isChange = (e: Record<string, unknown>) => e.ev === "workspacechange" && e.seq === pub.seq;
    const change = await b.waitFor(isChange, "change through the realm");
    assert.equal(change.via, "realm");
    assert.equal(change.data, "change two");
    await new Promise((r) => setTimeout(r, 3_500));
    assert.equal(b.count(isChange), 1);
    assert.equal(
      b.count((e) => e.ev === "imessage" && e.id === sent.id),
      1,
    );
    assert.equal(
      b.count((e) => e.ev === "imessage"),
      2,
      "every immediate message exactly once",
    );
    assert.equal(
      b.count((e) => e.ev === "workspacechange"),
      2,
      "every change exactly once",
    );
  });
});
