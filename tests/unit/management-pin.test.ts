// Following a pinned management key through vouched rotations (lib/federation/management-pin.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateRealmKey } from "../../lib/realm/keys.ts";
import {
  checkPin,
  decodeManagementKeys,
  encodeManagementKeys,
  normalizeFingerprint,
  type ManagementKeyEntry,
} from "../../lib/federation/management-pin.ts";
import { managementVouchPayload, sign } from "../../lib/federation/signing.ts";

test("a chain of vouches leads from the pinned key to the presented one; anything else is refused", async () => {
  const [a, b, c, x] = await Promise.all([1, 2, 3, 4].map(() => generateRealmKey("management-server", "localhost")));
  const entry = (k: typeof a, by: typeof a | null, signer = by): ManagementKeyEntry => ({
    fingerprint: k.fingerprint,
    publicKeyPem: k.publicKeyPem,
    validFrom: new Date(),
    validUntil: null,
    vouchedBy: by?.fingerprint ?? null,
    vouch: signer ? sign(signer.privateKeyPem, managementVouchPayload(k.fingerprint)) : null,
  });
  const list = decodeManagementKeys(encodeManagementKeys([entry(c, b), entry(b, a), entry(a, null)]))!;
  assert.equal(list.length, 3, "the wire form round-trips");
  assert.deepEqual(checkPin(a.fingerprint, a.fingerprint, null), { ok: true, rotated: false });
  assert.deepEqual(checkPin(a.fingerprint, c.fingerprint, list), { ok: true, rotated: true });
  assert.deepEqual(checkPin(b.fingerprint, c.fingerprint, list), { ok: true, rotated: true });
  assert.equal(checkPin(c.fingerprint, a.fingerprint, list).ok, false, "never backwards");
  assert.equal(checkPin(a.fingerprint, x.fingerprint, [...list, entry(x, null)]).ok, false, "an unrelated key");
  // A key that claims to be vouched for by the pinned key, but signed by itself.
  assert.equal(checkPin(a.fingerprint, x.fingerprint, [entry(x, a, x), entry(a, null)]).ok, false, "a forged vouch");
  assert.equal(checkPin(a.fingerprint, c.fingerprint, [entry(c, b)]).ok, false, "a missing link");
  assert.equal(normalizeFingerprint(a.fingerprint.toUpperCase().replace(/(..)(?!$)/g, "$1:")), a.fingerprint);
  assert.equal(normalizeFingerprint("abc"), null);
});
