// The management server's realm port (63747) and client port (63746): enrollment by token or
// approval, proof of key possession, rotation with an overlap window, revocation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { generateRealmKey } from "../../lib/realm/keys.ts";
import { PacketLink } from "../../lib/federation/packet-client.ts";
import { MANAGEMENT_DEFAULTS } from "../../management-daemon/config.ts";
import { encodeProofs, managementAuthPayload, managementKeyPayload, sign } from "../../lib/federation/signing.ts";
import { startManagement, startRealmNode, waitFor, HOST, type ManagementHarness } from "../helpers/federation.ts";

let m: ManagementHarness;
before(async () => {
  m = await startManagement(3_600_000);
});
after(async () => {
  await m.drop();
});

const open = (port?: number) =>
  PacketLink.open({
    address: port ? `${HOST}:${port}` : m.address,
    tls: true,
    words: [],
    timeoutMs: 5_000,
    maxPacketBytes: 65_536,
  });
const b64 = (s: string) => Buffer.from(s).toString("base64");
const meta = (id: string) => [
  `address=127.0.0.1:1`,
  `name=Realm ${id}`,
  "description=test realm",
  "registration=open",
  "captcha=true",
  `signupurl=http://web.test/signup/x`,
];

async function nonce(l: PacketLink): Promise<string> {
  return (await l.request("challenge")).text.slice(6);
}

type Key = Awaited<ReturnType<typeof generateRealmKey>>;
async function enroll(l: PacketLink, id: string, k: Key, token = "", signWith: Key = k) {
  const n = await nonce(l);
  return l.request("enroll", [
    `realm=${id}`,
    `key=${b64(k.publicKeyPem)}`,
    `cert=${b64(k.certPem)}`,
    `proof=${sign(signWith.privateKeyPem, managementKeyPayload("enroll", id, k.fingerprint, n, l.binding))}`,
    `token=${token}`,
    ...meta(id),
  ]);
}
async function authrealm(l: PacketLink, id: string, k: Key) {
  const n = await nonce(l);
  return l.request("authrealm", [
    id,
    ...encodeProofs([
      { fingerprint: k.fingerprint, signature: sign(k.privateKeyPem, managementAuthPayload(id, n, l.binding)) },
    ]),
  ]);
}

test("enrollment: without a token the realm waits for approval; a token approves at once and works once", async () => {
  const id = "pending.test:63745";
  const k = await generateRealmKey(id, "pending.test");
  const l = await open();
  assert.equal((await l.request("getrealm", [id])).status, "NOTALLOWED", "lookups need an authenticated realm");
  assert.equal((await enroll(l, id, k)).text, "status=PENDING");
  assert.equal((await authrealm(l, id, k)).status, "NOTALLOWED");
  await m.setStatus(id, "APPROVED");
  assert.equal((await authrealm(l, id, k)).status, "OK");
  const rec = await l.request("getrealm", [id]);
  assert.ok(rec.lines.includes("status=APPROVED") && rec.lines.includes("address=127.0.0.1:1"), rec.text);
  l.close();

  const id2 = "token.test:63745";
  const k2 = await generateRealmKey(id2, "token.test");
  const token = await m.token(id2);
  const l2 = await open();
  assert.equal((await enroll(l2, id2, k2, token)).text, "status=APPROVED");
  assert.equal(
    (await l2.request("heartbeat", meta(id2))).status,
    "OK",
    "enroll with a token authenticates the connection",
  );
  l2.close();
  const l3 = await open();
  const id3 = "again.test:63745";
  const reuse = await enroll(l3, id3, await generateRealmKey(id3, "again.test"), token);
  assert.equal(reuse.status, "BADINVITE");
  // Someone else cannot take over an enrolled realm id with another key.
  const thief = await generateRealmKey(id2, "token.test");
  const stolen = await enroll(l3, id2, thief);
  assert.equal(stolen.text, "status=PENDING", "an unknown key for a known realm waits for an administrator");
  assert.equal((await authrealm(l3, id2, thief)).status, "BADAUTH");
  // A proof made with another key than the presented one is refused.
  assert.equal(
    (await enroll(l3, "forged.test:63745", await generateRealmKey("forged.test:63745", "forged.test"), "", thief))
      .status,
    "BADAUTH",
  );
  l3.close();
});

test("clients list approved realms and their key fingerprints (including the TLS certificate's)", async () => {
  const c = await open(m.clientPort);
  const list = await c.request("listrealms");
  const line = list.lines.find((x) => x.startsWith("token.test:63745\t"));
  assert.deepEqual(line?.split("\t"), [
    "token.test:63745",
    "Realm token.test:63745",
    "open",
    "true",
    "http://web.test/signup/x",
    "test realm",
  ]);
  assert.ok(!list.lines.some((x) => x.startsWith("forged.test")));
  const keys = await c.request("getrealmkeys", ["token.test:63745"]);
  assert.equal(keys.status, "OK");
  const [fp, , until, tlsFp] = keys.lines[0].split("\t");
  const row = await m.db.pool.query<{ fingerprint: string; tlsFingerprint: string }>(
    `SELECT fingerprint, "tlsFingerprint" FROM known_realm_keys WHERE "realmId" = 'token.test:63745'`,
  );
  assert.equal(fp, row.rows[0].fingerprint);
  assert.equal(tlsFp, row.rows[0].tlsFingerprint);
  assert.equal(until, "-");
  assert.equal((await c.request("enroll")).status, "UNKNOWNCOMMAND", "realm commands are not on the client port");
  c.close();
});

test("rotation keeps the old key for the overlap window; revocation ends an open session", async () => {
  const id = "rotate.test:63745";
  const k1 = await generateRealmKey(id, "rotate.test");
  const l = await open();
  await enroll(l, id, k1, await m.token());
  const k2 = await generateRealmKey(id, "rotate.test");
  const n = await nonce(l);
  const rot = await l.request("rotatekey", [
    `key=${b64(k2.publicKeyPem)}`,
    `cert=${b64(k2.certPem)}`,
    `proof=${sign(k2.privateKeyPem, managementKeyPayload("rotate", id, k2.fingerprint, n, l.binding))}`,
    `vouch=${k1.fingerprint} ${sign(k1.privateKeyPem, managementKeyPayload("vouch", id, k2.fingerprint, n, l.binding))}`,
  ]);
  assert.equal(rot.status, "OK", rot.text);
  const until = new Date(rot.text.slice("oldvaliduntil=".length)).getTime();
  assert.ok(Math.abs(until - (Date.now() + 3_600_000)) < 10_000);
  const c = await open(m.clientPort);
  assert.equal((await c.request("getrealmkeys", [id])).lines.length, 2, "both keys listed during the overlap");
  c.close();
  // Either key authenticates during the overlap.
  for (const k of [k1, k2]) {
    const x = await open();
    assert.equal((await authrealm(x, id, k)).status, "OK");
    x.close();
  }
  await m.setStatus(id, "REVOKED");
  const hb = await l.request("heartbeat", meta(id));
  assert.equal(hb.status, "UNAUTHORIZED");
  assert.match(hb.text, /revoked/);
  await waitFor(() => l.closed, 2_000, "the connection to close");
  const again = await open();
  assert.equal((await authrealm(again, id, k2)).status, "UNAUTHORIZED");
  assert.equal((await enroll(again, id, k2)).status, "UNAUTHORIZED");
  again.close();
});

test("a realm daemon without a token waits as PENDING and federates once an administrator approves it", async () => {
  const node = await startRealmNode("waiting", m.address);
  try {
    await waitFor(() => node.linkState() === "pending", 5_000, "the realm to be pending");
    const row = await m.db.pool.query<{ status: string; address: string }>(
      `SELECT status, address FROM known_realms WHERE "realmId" = $1`,
      [node.realmId],
    );
    assert.equal(row.rows[0].status, "PENDING");
    assert.equal(row.rows[0].address, `${HOST}:${node.port()}`);
    await m.setStatus(node.realmId, "APPROVED");
    await node.waitApproved(5_000);
  } finally {
    await node.drop();
  }
});

test("pending enrollments from one address are capped per hour, also when they race; tokens still enroll", async () => {
  // This file's earlier tests left some pending enrollments from this address: start the count afresh.
  await m.db.pool.query(`DELETE FROM rate_limit_buckets WHERE key LIKE 'enroll-pending:%'`);
  const cap = MANAGEMENT_DEFAULTS.pendingEnrollmentsPerIpPerHour;
  const ids = Array.from({ length: cap + 5 }, (_, i) => `spam${i}.test:63745`);
  const replies = await Promise.all(
    ids.map(async (id) => {
      const l = await open();
      try {
        return await enroll(l, id, await generateRealmKey(id, id.split(":")[0]));
      } finally {
        l.close();
      }
    }),
  );
  assert.equal(replies.filter((r) => r.text === "status=PENDING").length, cap, replies.map((r) => r.status).join(","));
  const refused = replies.filter((r) => r.status === "RATELIMITED");
  assert.equal(refused.length, 5);
  assert.match(refused[0].text, /enrollment token/);
  const rows = await m.db.pool.query(`SELECT 1 FROM known_realms WHERE "realmId" LIKE 'spam%'`);
  assert.equal(rows.rowCount, cap, "a refused enrollment leaves nothing for the console");
  const id = "withtoken.test:63745";
  const l = await open();
  assert.equal(
    (await enroll(l, id, await generateRealmKey(id, "withtoken.test"), await m.token(id))).text,
    "status=APPROVED",
  );
  l.close();
});
