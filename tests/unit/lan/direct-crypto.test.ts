// The direct link's cryptography: both sides derive the same keys only from the same
// transcript; a packet altered, replayed, reordered or sent the wrong way is refused; a
// transcript signature binds the role, both identities and both ephemeral keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateComputerKeys } from "../../../client/sdk/crypto/keys-core.ts";
import { utf8 } from "../../../client/sdk/crypto/bytes.ts";
import {
  linkCipher,
  newEphemeral,
  signTranscript,
  transcript,
  verifyTranscript,
} from "../../../client/sdk/lan/direct-crypto.ts";

const ce = newEphemeral();
const se = newEphemeral();
const helloC = { userId: "r::Alice", computer: "laptop", eph: ce.pub, nonce: ce.nonce };
const helloS = { userId: "r::bob", computer: "desk", eph: se.pub, nonce: se.nonce };

test("both sides get working, separate directions; tampering, replay and reordering are refused", () => {
  const t = transcript(helloC, helloS);
  const c = linkCipher("client", ce.priv, se.pub, t);
  const s = linkCipher("server", se.priv, ce.pub, t);
  const p1 = c.seal(utf8("one"));
  const p2 = c.seal(utf8("two"));
  assert.deepEqual(s.open(p1), utf8("one"));
  assert.deepEqual(s.open(p2), utf8("two"));
  assert.deepEqual(c.open(s.seal(utf8("back"))), utf8("back"));

  const s2 = linkCipher("server", se.priv, ce.pub, t);
  assert.equal(s2.open(p2), undefined, "out of order");
  const s3 = linkCipher("server", se.priv, ce.pub, t);
  const bad = Uint8Array.from(p1);
  bad[0] ^= 1;
  assert.equal(s3.open(bad), undefined, "altered");
  const s4 = linkCipher("server", se.priv, ce.pub, t);
  assert.ok(s4.open(p1));
  assert.equal(s4.open(p1), undefined, "replayed");
  const c2 = linkCipher("client", ce.priv, se.pub, t);
  assert.equal(c2.open(c.seal(utf8("x"))), undefined, "reflected back to its sender");

  // Another transcript (one nonce differs) gives other keys.
  const t2 = transcript(helloC, { ...helloS, nonce: new Uint8Array(32) });
  assert.equal(
    linkCipher("server", se.priv, ce.pub, t2).open(linkCipher("client", ce.priv, se.pub, t).seal(utf8("z"))),
    undefined,
  );
});

test("transcript signatures are bound to the role and to every field", () => {
  const keys = generateComputerKeys();
  const t = transcript(helloC, helloS);
  const sig = signTranscript(keys, "server", t);
  assert.equal(verifyTranscript(keys.ed25519.publicKey, "server", t, sig), true);
  assert.equal(verifyTranscript(keys.ed25519.publicKey, "client", t, sig), false, "role");
  assert.equal(verifyTranscript(generateComputerKeys().ed25519.publicKey, "server", t, sig), false, "key");
  for (const changed of [
    transcript({ ...helloC, computer: "desk" }, helloS),
    transcript(helloC, { ...helloS, userId: "r::carol" }),
    transcript({ ...helloC, eph: newEphemeral().pub }, helloS),
    transcript(helloS, helloC),
  ])
    assert.equal(verifyTranscript(keys.ed25519.publicKey, "server", changed, sig), false);
  // User ids compare case-insensitively (as the realm does), computer names exactly.
  assert.deepEqual(transcript({ ...helloC, userId: "r::alice" }, helloS), t);
});
