// The `publickeys` reply codec (docs/federation.md §3): what one realm sends about its user's
// computer keys is parsed strictly by the asking realm, and only public-og-* settings survive.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodePublicKeys, encodePublicKeys, type RemoteComputerKeys } from "../../../lib/federation/public-keys.ts";

test("round trip of several computers, with and without keys", () => {
  const computers: RemoteComputerKeys[] = [
    {
      computer: "laptop",
      settings: { "public-og-keyformat": "1", "public-og-x25519": "abc", "public-og-ed25519": "def" },
    },
    { computer: "old phone\twith tab", settings: {} },
  ];
  assert.deepEqual(decodePublicKeys(encodePublicKeys(computers)), computers);
  assert.deepEqual(decodePublicKeys([]), []);
});

test("anything but public-og-* string settings is dropped; malformed lines refuse the whole reply", () => {
  assert.deepEqual(
    decodePublicKeys([
      JSON.stringify({ computer: "pc", settings: { "public-og-x25519": "k", theme: "dark", "public-og-n": 5 } }),
    ]),
    [{ computer: "pc", settings: { "public-og-x25519": "k" } }],
  );
  for (const bad of ["not json", JSON.stringify({ settings: {} }), JSON.stringify({ computer: "pc" }), "null", "[1]"])
    assert.equal(decodePublicKeys([bad]), undefined, bad);
});
