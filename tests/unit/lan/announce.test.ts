// The LAN announcement format (OGA1 v1): round trip, signature and fingerprint checks, every
// kind of damage refused without a throw, the replay guard and the rate limits. Runs anywhere
// (no sockets); the network-namespace test covers the wire.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { generateComputerKeys, fingerprint } from "../../../client/sdk/crypto/keys-core.ts";
import { utf8 } from "../../../client/sdk/crypto/bytes.ts";
import {
  MAX_ANNOUNCE_BYTES,
  ReplayGuard,
  encodeAnnouncement,
  parseAnnouncement,
} from "../../../client/sdk/lan/announce.ts";
import { KeyedLimiter, TokenBucket } from "../../../client/sdk/lan/rate-limit.ts";

const keys = generateComputerKeys();
const claim = {
  userId: "realm.test:63745::alice",
  computer: "laptop",
  addresses: ["10.0.0.5", "fe80::1"],
  port: 63748,
};

test("an announcement round trips with its keys, fingerprint, time and nonce", () => {
  const d = encodeAnnouncement({ ...claim, ts: 1_700_000_000_000 }, keys);
  assert.ok(d.length <= MAX_ANNOUNCE_BYTES);
  assert.equal(new TextDecoder().decode(d.subarray(0, 4)), "OGA1");
  const p = parseAnnouncement(d);
  assert.ok(p.ok);
  assert.equal(p.value.userId, claim.userId);
  assert.equal(p.value.computer, "laptop");
  assert.deepEqual(p.value.addresses, claim.addresses);
  assert.equal(p.value.port, 63748);
  assert.equal(p.value.ts, 1_700_000_000_000);
  assert.deepEqual(p.value.keys.ed25519, keys.ed25519.publicKey);
  assert.deepEqual(p.value.keys.x25519, keys.x25519.publicKey);
  assert.equal(p.value.fingerprint, fingerprint(keys.x25519.publicKey, keys.ed25519.publicKey));
  const again = parseAnnouncement(encodeAnnouncement(claim, keys));
  assert.ok(again.ok && again.value.nonce !== p.value.nonce, "a fresh nonce each time");
});

test("any changed byte is refused (signature, body or magic), never thrown", () => {
  const d = encodeAnnouncement(claim, keys);
  for (let i = 0; i < d.length; i++) {
    const bad = Uint8Array.from(d);
    bad[i] ^= 0x01;
    const p = parseAnnouncement(bad);
    assert.equal(p.ok, false, `byte ${i} flipped`);
  }
  const sig = Uint8Array.from(d);
  sig[sig.length - 1] ^= 0x80;
  const p = parseAnnouncement(sig);
  assert.ok(!p.ok && p.reason === "badsignature");
});

test("a body signed by another key than the one it carries is a bad signature", () => {
  const d = encodeAnnouncement(claim, keys);
  const other = encodeAnnouncement(claim, generateComputerKeys());
  // carol's body (with her keys) and someone else's signature
  const spliced = Uint8Array.from([...d.subarray(0, d.length - 64), ...other.subarray(other.length - 64)]);
  const p = parseAnnouncement(spliced);
  assert.ok(!p.ok && p.reason === "badsignature");
});

test("malformed announcements: each refused with a reason", () => {
  const cases: Array<[string, Uint8Array]> = [
    ["empty", new Uint8Array()],
    ["too large", new Uint8Array(MAX_ANNOUNCE_BYTES + 1)],
    ["other magic", Uint8Array.from([...utf8("OGA2{}"), ...new Uint8Array(64)])],
    ["not json", Uint8Array.from([...utf8("OGA1{no"), ...new Uint8Array(64)])],
    ["array", Uint8Array.from([...utf8("OGA1[1]"), ...new Uint8Array(64)])],
    ["version 2", Uint8Array.from([...utf8('OGA1{"v":2}'), ...new Uint8Array(64)])],
  ];
  for (const [what, d] of cases) {
    const p = parseAnnouncement(d);
    assert.ok(!p.ok && p.reason === "malformed", what);
  }
  assert.throws(() => encodeAnnouncement({ ...claim, userId: "x".repeat(2000) }, keys), RangeError);
  // Field checks run before the signature: a control character in the computer name, a bad port.
  for (const bad of [{ computer: "lap\u001btop" }, { computer: "two words" }, { port: 0 }, { addresses: ["nope"] }]) {
    const p = parseAnnouncement(encodeAnnouncement({ ...claim, ...bad }, keys));
    assert.ok(!p.ok && p.reason === "malformed", JSON.stringify(bad));
  }
});

test("random bytes never throw", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1400 }), (b) => {
      const withMagic = Uint8Array.from([...utf8("OGA1"), ...b]);
      assert.equal(parseAnnouncement(b).ok, false);
      assert.equal(parseAnnouncement(withMagic).ok, false);
    }),
    { numRuns: 300 },
  );
});

test("replay guard: stale beyond the skew, a nonce seen once, forgotten after the window", () => {
  const g = new ReplayGuard(30_000, 100);
  const now = 1_000_000;
  const a = { userId: "u", computer: "c", ts: now, nonce: "n1" };
  assert.equal(g.check(a, now), null);
  assert.equal(g.check(a, now + 1), "replay");
  assert.equal(g.check({ ...a, nonce: "n2" }, now + 1), null);
  assert.equal(g.check({ ...a, ts: now - 31_000, nonce: "n3" }, now), "stale");
  assert.equal(g.check({ ...a, ts: now + 31_000, nonce: "n4" }, now), "stale");
  // After the window the old announcement is stale anyway, and its nonce may be forgotten.
  assert.equal(g.check(a, now + 61_000), "stale");
  for (let i = 0; i < 500; i++) assert.equal(g.check({ ...a, ts: now + 62_000, nonce: `m${i}` }, now + 62_000), null);
  assert.equal(g.check({ ...a, ts: now + 62_000, nonce: "m499" }, now + 62_000), "replay", "recent ones kept");
});

test("token buckets: burst, then the rate; per key, bounded", () => {
  const b = new TokenBucket(2, 4, 0);
  assert.deepEqual(
    Array.from({ length: 6 }, () => b.take(0)),
    [true, true, true, true, false, false],
  );
  assert.equal(b.take(500), true, "one token after half a second at 2/s");
  assert.equal(b.take(500), false);
  const k = new KeyedLimiter(1, 2, 3);
  assert.equal(k.take("a", 0), true);
  assert.equal(k.take("a", 0), true);
  assert.equal(k.take("a", 0), false);
  assert.equal(k.take("b", 0), true, "another source has its own bucket");
  for (const s of ["c", "d", "e"]) k.take(s, 0);
  assert.equal(k.take("a", 0), true, "the oldest key was dropped at the cap (fresh bucket)");
});
