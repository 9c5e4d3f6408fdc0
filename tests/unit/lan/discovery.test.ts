// The receiving side of LAN discovery without sockets (LanDiscovery.handle is what the UDP
// socket calls): the order of checks, the realm key comparison, and the limits on what a
// flood of announcements may cost. The key directory here is a map standing in for the realm
// (the loopback and namespace tests use a real realm daemon).
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateComputerKeys, type ComputerKeys } from "../../../client/sdk/crypto/keys-core.ts";
import { encodeAnnouncement } from "../../../client/sdk/lan/announce.ts";
import { LanDiscovery } from "../../../client/sdk/lan/discovery.ts";
import { PeerKeyCache } from "../../../client/sdk/lan/peer-keys.ts";

function setup() {
  const published = new Map<string, ComputerKeys>();
  let lookups = 0;
  const cache = new PeerKeyCache(async (u, c) => {
    lookups++;
    const k = published.get(`${u} ${c}`);
    return k && { x25519: k.x25519.publicKey, ed25519: k.ed25519.publicKey };
  });
  const d = new LanDiscovery({
    me: { userId: "r::me", computer: "laptop" },
    keys: generateComputerKeys(),
    peerKeys: cache,
    directPort: 1,
    perSourceRate: 100,
    totalRate: 100,
  });
  return { published, d, lookups: () => lookups };
}

const ann = (userId: string, computer: string, keys: ComputerKeys) =>
  encodeAnnouncement({ userId, computer, addresses: ["10.0.0.9"], port: 63748 }, keys);

test("a peer is kept only when its keys are the realm's; own announcements are ignored", async () => {
  const { published, d } = setup();
  const bob = generateComputerKeys();
  published.set("r::bob laptop", bob);
  await d.handle(ann("r::bob", "laptop", generateComputerKeys()), "10.0.0.9");
  assert.equal(d.rejected.keymismatch, 1);
  await d.handle(ann("r::nobody", "laptop", generateComputerKeys()), "10.0.0.9");
  assert.equal(d.rejected.nokey, 1);
  await d.handle(ann("r::me", "laptop", generateComputerKeys()), "10.0.0.9");
  assert.equal(d.peers().length, 0);
  await d.handle(ann("r::bob", "laptop", bob), "10.0.0.9");
  assert.deepEqual(
    d.peers().map((p) => [p.userId, p.computer, p.address, p.port]),
    [["r::bob", "laptop", "10.0.0.9", 63748]],
  );
  assert.equal(d.peer("R::BOB", "laptop")?.computer, "laptop", "user ids compare case-insensitively");
});

test("made-up computers cannot make more than a burst of realm lookups", async () => {
  const { d, lookups } = setup();
  const datagrams = Array.from({ length: 40 }, (_, i) => ann(`r::fake${i}`, "laptop", generateComputerKeys()));
  const t0 = Date.now();
  for (let i = 0; i < 40; i++) await d.handle(datagrams[i], `10.0.1.${i}`);
  // A burst of 10, then 2 per second.
  const allowed = 10 + Math.ceil(((Date.now() - t0) / 1000) * 2);
  assert.ok(lookups() <= allowed, `${lookups()} lookups, at most ${allowed}`);
  assert.equal(d.rejected.ratelimited, 40 - lookups());
  assert.equal(d.rejected.nokey, lookups());
});

test("one source sending fast is cut at its rate before any signature check", async () => {
  const published = new Map<string, ComputerKeys>();
  const d = new LanDiscovery({
    me: { userId: "r::me", computer: "laptop" },
    keys: generateComputerKeys(),
    peerKeys: new PeerKeyCache(async (u, c) => {
      const k = published.get(`${u} ${c}`);
      return k && { x25519: k.x25519.publicKey, ed25519: k.ed25519.publicKey };
    }),
    directPort: 1,
    perSourceRate: 5,
  });
  const junk = new Uint8Array(100);
  for (let i = 0; i < 30; i++) await d.handle(junk, "10.0.0.66");
  assert.equal(d.rejected.malformed, 10, "the burst (2 x rate) is parsed");
  assert.equal(d.rejected.ratelimited, 20);
  await d.handle(junk, "10.0.0.67");
  assert.equal(d.rejected.malformed, 11, "another source is not affected");
});
