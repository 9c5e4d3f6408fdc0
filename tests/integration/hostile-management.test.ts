// Property test (fast-check, seeded, bounded) of both management ports over real TLS on a real
// PostgreSQL: every command of each port's table with random and garbled arguments, anonymous and
// as an enrolled realm (a hostile realm that holds a real key and a real token, so the handlers
// run past the signature checks with hostile metadata). Each reply is a registered status word
// other than INTERNALERROR, the link stays usable unless the word closes it, and the server keeps
// answering. OG_HOSTILE_RUNS raises the number of runs when hunting.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fc from "fast-check";
import { startManagement, HOST, type ManagementHarness } from "../helpers/federation.ts";
import { hostileField } from "../helpers/hostile.ts";
import { checkReply, fuzzLink } from "../helpers/hostile-link.ts";
import { PacketLink, LinkError } from "../../lib/federation/packet-client.ts";
import { managementKeyPayload, sign } from "../../lib/federation/signing.ts";
import { publicKeyFingerprint } from "../../lib/realm/keys.ts";
import { utf8Bytes } from "../../lib/protocol/index.ts";
import { CLIENT_COMMANDS, REALM_COMMANDS } from "../../management-daemon/commands/index.ts";

const RUNS = Number(process.env.OG_HOSTILE_RUNS ?? 60);
let m: ManagementHarness;
before(async () => {
  m = await startManagement();
});
after(async () => m.drop());

function link(port: number): Promise<PacketLink> {
  return PacketLink.open({
    address: `${HOST}:${port}`,
    tls: true,
    words: [],
    timeoutMs: 10_000,
    maxPacketBytes: 1 << 20,
  });
}

const realmPort = () => Number(m.address.split(":")[1]);

interface Key {
  publicKeyPem: string;
  privateKeyPem: string;
  fingerprint: string;
}
function newKey(): Key {
  const k = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const publicKeyPem = k.publicKey.export({ type: "spki", format: "pem" }).toString();
  return {
    publicKeyPem,
    privateKeyPem: k.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    fingerprint: publicKeyFingerprint(publicKeyPem),
  };
}
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A signed enroll (challenge, proof over this link's binding) with the given extra lines. */
async function enroll(l: PacketLink, realmId: string, key: Key, extra: string[]) {
  const c = await l.request("challenge");
  const nonce = c.text.slice("nonce=".length);
  // Joined here (the codec refuses a field with a newline): a hostile realm sends what it likes.
  const lines = [
    `realm=${realmId}`,
    `key=${b64(key.publicKeyPem)}`,
    `proof=${sign(key.privateKeyPem, managementKeyPayload("enroll", realmId, key.fingerprint, nonce, l.binding))}`,
    ...extra,
  ];
  return l.request("enroll", utf8Bytes(lines.join("\n")));
}

const metadataKey = fc.constantFrom("address", "name", "description", "registration", "captcha", "signupurl", "x");
const metadataLines = fc.array(
  fc
    .tuple(metadataKey, fc.oneof(hostileField, fc.constantFrom("127.0.0.1:1", "open", "true")))
    .map(([k, v]) => `${k}=${v}`),
  { maxLength: 8 },
);
const args = fc.oneof(
  { weight: 3, arbitrary: fc.array(hostileField, { maxLength: 6 }).map((f) => utf8Bytes(f.join("\n"))) },
  { weight: 2, arbitrary: metadataLines.map((l) => utf8Bytes(l.join("\n"))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.constantFrom(60_000, 2_000_000).map((n) => new Uint8Array(n).fill(0x41)) },
);

/** Pipelined bursts of hostile requests on a link that `reopen` gives back in its state. */
const fuzzPort = (names: string[], reopen: () => Promise<PacketLink>, seed: number) =>
  fuzzLink(names, args, reopen, { seed, runs: RUNS });

test("client port: every command with hostile arguments gets a status word, never INTERNALERROR", async () => {
  const seen = await fuzzPort([...CLIENT_COMMANDS.keys(), "enroll", "nosuch"], () => link(m.clientPort), 1401);
  assert.ok(seen.get("OK"));
});

test("realm port, anonymous: every command with hostile arguments gets a status word", async () => {
  const seen = await fuzzPort([...REALM_COMMANDS.keys()], () => link(realmPort()), 1402);
  assert.ok(seen.get("OK"));
});

test("realm port, enrolled: a realm with a real key and token sends hostile heartbeats, lookups and rotations", async () => {
  const key = newKey();
  const realmId = "hostile.test:63745";
  const open = async () => {
    const l = await link(realmPort());
    const r = await enroll(l, realmId, key, [`token=${await m.token(realmId)}`, "address=127.0.0.1:9"]);
    assert.equal(r.status, "OK", r.text);
    return l;
  };
  const seen = await fuzzPort([...REALM_COMMANDS.keys()], open, 1403);
  assert.ok(seen.get("OK"));
});

test("enroll: hostile realm ids and metadata with a valid proof get OK or BADARGUMENTS, never INTERNALERROR", async () => {
  // One link; over 64 KiB in all (a 40,000-byte field) the server closes it with TOOLARGE.
  let l = await link(realmPort());
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hostileField, fc.constant("ok.test:1")),
        metadataLines.filter((l) => l.join("").length < 30_000),
        async (realmId, lines) => {
          if (l.closed) l = await link(realmPort());
          const r = await enroll(l, realmId, newKey(), lines).catch((e: LinkError) => ({
            status: e.status,
            text: e.message,
          }));
          if (r.status === "DISCONNECTED" && realmId.length + lines.join("").length > 30_000) return;
          checkReply("enroll", r.status, r.text);
          // RATELIMITED: past the pending enrollments one address may leave per hour
          assert.ok(["OK", "BADARGUMENTS", "BADAUTH", "RATELIMITED"].includes(r.status), `${r.status} ${r.text}`);
        },
      ),
      { numRuns: Math.ceil(RUNS / 2), seed: 1404, endOnFailure: true, includeErrorInReport: true },
    );
  } finally {
    l.close();
  }
});
