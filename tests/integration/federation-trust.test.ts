// Federation trust on a hostile network (issue #12), with real TLS sockets: a relay in the middle
// of the realm port, a generic token for an enrolled realm, a fake management server, and a
// kill -9 of the realm daemon between storing and publishing a rotated key.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import path from "node:path";
import tls from "node:tls";
import { fork, type ChildProcess } from "node:child_process";
import { generateRealmKey } from "../../lib/realm/keys.ts";
import { PacketLink, type LinkReply } from "../../lib/federation/packet-client.ts";
import { encodeProofs, managementAuthPayload, managementKeyPayload, sign } from "../../lib/federation/signing.ts";
import { loadSigningKeys } from "../../lib/federation/local-keys.ts";
import { acceptStream } from "../../lib/protocol/server-stream.ts";
import { decodeRequest, encodeReply } from "../../lib/protocol/index.ts";
import { CHANNELS, notify } from "../../lib/db/notify.ts";
import { executeCommand } from "../../lib/console/command.ts";
import { decideKeyClaim } from "../../lib/console/federation-trust.ts";
import { startManagementServer } from "../../management-daemon/server.ts";
import { ManagementIdentity } from "../../management-daemon/tls-identity.ts";
import { createTestDb } from "../helpers/db.ts";
import { startManagement, startRealmNode, waitFor, HOST, type ManagementHarness } from "../helpers/federation.ts";
import type { ReadyMessage } from "../../lib/runtime/daemon-lifecycle.ts";
import pino from "pino";

let m: ManagementHarness;
before(async () => {
  m = await startManagement(3_600_000);
});
after(async () => {
  await m.drop();
});

type Key = Awaited<ReturnType<typeof generateRealmKey>>;
const b64 = (s: string) => Buffer.from(s).toString("base64");
const open = (address = m.address) =>
  PacketLink.open({ address, tls: true, words: [], timeoutMs: 5_000, maxPacketBytes: 65_536 });
const nonce = async (l: PacketLink) => (await l.request("challenge")).text.slice(6);
const meta = ["address=127.0.0.1:1", "name=t", "registration=open"];

async function enroll(l: PacketLink, id: string, k: Key, token: string): Promise<LinkReply> {
  const n = await nonce(l);
  const proof = sign(k.privateKeyPem, managementKeyPayload("enroll", id, k.fingerprint, n, l.binding));
  return l.request("enroll", [
    `realm=${id}`,
    `key=${b64(k.publicKeyPem)}`,
    `cert=${b64(k.certPem)}`,
    `proof=${proof}`,
    `token=${token}`,
    ...meta,
  ]);
}
async function authrealm(l: PacketLink, id: string, k: { fingerprint: string; privateKeyPem: string }) {
  const n = await nonce(l);
  const sig = sign(k.privateKeyPem, managementAuthPayload(id, n, l.binding));
  return l.request("authrealm", [id, ...encodeProofs([{ fingerprint: k.fingerprint, signature: sig }])]);
}
async function keysOf(id: string) {
  const r = await m.db.pool.query<{ fingerprint: string; validUntil: Date | null; revokedAt: Date | null }>(
    `SELECT fingerprint, "validUntil", "revokedAt" FROM known_realm_keys WHERE "realmId" = $1 ORDER BY "validFrom"`,
    [id],
  );
  return r.rows;
}
async function audits(action: string, id: string) {
  const r = await m.db.pool.query<{ after: Record<string, unknown> }>(
    `SELECT after FROM audit_log WHERE action = $1 AND "targetId" = $2`,
    [action, id],
  );
  return r.rows;
}

/**
 * A machine in the middle: terminates TLS towards the realm with its own certificate, opens its own
 * TLS connection to the management server, relays every request, then sends its own rotatekey.
 */
async function startRelay(upstreamAddress: string, ownKey: Key) {
  const seen: { command: string; status: string }[] = [];
  const injected: LinkReply[] = [];
  const server = tls.createServer({ key: ownKey.privateKeyPem, cert: ownKey.certPem }, (socket) => {
    const upstream = open(upstreamAddress);
    acceptStream(socket, {
      maxPacketBytes: 65_536,
      greetingTimeoutMs: 5_000,
      maxWriteBufferBytes: 1 << 20,
      onGreeting: () => null,
      onReady(transport) {
        let chain = Promise.resolve();
        return {
          fail: () => transport.close(),
          close: () => void upstream.then((u) => u.close()),
          onPacket(p) {
            const req = decodeRequest(p);
            if (!req.ok) return;
            const { id, command, args } = req.value;
            chain = chain.then(async () => {
              const u = await upstream;
              const r = await u.request(command, args);
              seen.push({ command, status: r.status });
              transport.send(encodeReply(id, command, r.status, r.data));
              if (command !== "authrealm") return;
              // Now the relay's own key change on what it hopes is an authenticated session.
              const evil = await generateRealmKey("victim.test:63745", "victim.test");
              const n = await nonce(u);
              injected.push(
                await u.request("rotatekey", [
                  `key=${b64(evil.publicKeyPem)}`,
                  `proof=${sign(evil.privateKeyPem, managementKeyPayload("rotate", "victim.test:63745", evil.fingerprint, n, u.binding))}`,
                ]),
              );
            });
          },
        };
      },
    });
  });
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  const port = (server.address() as { port: number }).port;
  return { address: `${HOST}:${port}`, seen, injected, close: () => server.close() };
}

test("a relay replays a genuine authrealm and sends its own rotatekey: refused, registry unchanged, audited", async () => {
  const id = "victim.test:63745";
  const k1 = await generateRealmKey(id, "victim.test");
  const l = await open();
  assert.equal((await enroll(l, id, k1, await m.token(id))).text, "status=APPROVED");
  l.close();
  const relay = await startRelay(m.address, await generateRealmKey("relay.test:1", "relay.test"));
  try {
    // The genuine realm (here without its management pin, to reach the channel-binding check).
    const victim = await open(relay.address);
    const auth = await authrealm(victim, id, k1);
    assert.equal(auth.status, "BADAUTH", "the proof was made for the realm-relay channel, not relay-server");
    assert.match(auth.text, /on this connection/);
    await waitFor(() => relay.injected.length === 1, 5_000, "the relay's rotatekey");
    assert.equal(relay.injected[0].status, "NOTALLOWED", relay.injected[0].text);
    victim.close();
  } finally {
    relay.close();
  }
  const keys = await keysOf(id);
  assert.deepEqual(
    keys.map((k) => [k.fingerprint, k.validUntil, k.revokedAt]),
    [[k1.fingerprint, null, null]],
    "registry unchanged",
  );
  assert.equal((await audits("federation.auth-refused", id)).length, 1, "the relayed proof is audited");

  // Even on an authenticated session, a new key needs a current key's signature over it.
  const s = await open();
  assert.equal((await authrealm(s, id, k1)).status, "OK");
  const evil = await generateRealmKey(id, "victim.test");
  const n = await nonce(s);
  const rot = await s.request("rotatekey", [
    `key=${b64(evil.publicKeyPem)}`,
    `proof=${sign(evil.privateKeyPem, managementKeyPayload("rotate", id, evil.fingerprint, n, s.binding))}`,
    `vouch=${evil.fingerprint} ${sign(evil.privateKeyPem, managementKeyPayload("vouch", id, evil.fingerprint, n, s.binding))}`,
  ]);
  assert.equal(rot.status, "BADAUTH", rot.text);
  s.close();
  assert.equal((await keysOf(id)).length, 1, "registry unchanged");
  const refused = await audits("federation.rotate-refused", id);
  assert.equal(refused.length, 1);
  assert.equal(refused[0].after.presented, evil.fingerprint);
});

test("a generic token for an enrolled realm with a foreign key: PENDING claim, nothing retired; the console decides", async () => {
  const id = "owned.test:63745";
  const k1 = await generateRealmKey(id, "owned.test");
  const l = await open();
  assert.equal((await enroll(l, id, k1, await m.token(id))).text, "status=APPROVED");
  l.close();
  const generic = await m.token();
  const thief = await generateRealmKey(id, "owned.test");
  const t = await open();
  const r = await enroll(t, id, thief, generic);
  assert.equal(r.text, "status=PENDING", r.text);
  assert.equal((await authrealm(t, id, thief)).status, "BADAUTH", "the claimed key does not authenticate");
  t.close();
  assert.deepEqual(
    (await keysOf(id)).map((k) => [k.fingerprint, k.validUntil, k.revokedAt]),
    [[k1.fingerprint, null, null]],
    "nothing retired",
  );
  const realm = await m.db.pool.query(`SELECT status, address FROM known_realms WHERE "realmId" = $1`, [id]);
  assert.deepEqual(realm.rows[0], { status: "APPROVED", address: "127.0.0.1:1" });
  const claim = await m.db.pool.query<{ id: string; fingerprint: string }>(
    `SELECT id, fingerprint FROM realm_key_claims WHERE "realmId" = $1 AND "decidedAt" IS NULL`,
    [id],
  );
  assert.equal(claim.rows[0].fingerprint, thief.fingerprint);
  const audit = await audits("federation.key-claim", id);
  assert.deepEqual(audit[0].after.current, [k1.fingerprint], "both fingerprints in the audit record");
  const used = await m.db.pool.query(
    `SELECT 1 FROM enrollment_tokens WHERE "usedAt" IS NOT NULL AND "realmId" IS NULL`,
  );
  assert.equal(used.rowCount, 0, "the generic token was not spent on the claim");

  // Lost-key recovery is the administrator's audited decision.
  const ctx = {
    prisma: m.db.prisma,
    ip: "203.0.113.7",
    actor: { kind: "operator", id: crypto.randomUUID(), username: "admin", role: "ADMIN", realmIds: new Set() },
  } as const;
  const ok = await executeCommand(decideKeyClaim, ctx as never, { claimId: claim.rows[0].id, decision: "accept" });
  assert.ok(ok.ok, JSON.stringify(ok));
  const after = await keysOf(id);
  assert.ok(after.find((k) => k.fingerprint === k1.fingerprint)?.revokedAt, "old key revoked at once");
  assert.equal(after.find((k) => k.fingerprint === thief.fingerprint)?.revokedAt, null);
  assert.equal((await audits("federation.key-claim-accept", id)).length, 1);
  const x = await open();
  assert.equal((await authrealm(x, id, thief)).status, "OK");
  x.close();
});

test("a fake management server answering getrealm with an attacker's key: the realm refuses it", async () => {
  // The fake registry lists a realm with the attacker's key.
  const fakeDb = await createTestDb();
  const fakeId = await ManagementIdentity.load(fakeDb.pool, pino({ level: "silent" }));
  const fake = await startManagementServer({
    identity: fakeId,
    pool: fakeDb.pool,
    log: pino({ level: "silent" }),
    host: HOST,
    clientPort: 0,
    realmPort: 0,
  });
  const configured = await startRealmNode("pinned", `${HOST}:${fake.realmPort}`, {
    managementFingerprint: m.fingerprint,
  });
  try {
    await waitFor(() => configured.linkState() === "refused", 10_000, "the realm to refuse the fake server");
    const link = configured.daemon.federation!.links.get(configured.realmId)!;
    assert.match(
      link.lastError,
      /refusing the management server .* presented key sha256 [0-9a-f]{64}, but the pinned key/,
    );
    await assert.rejects(configured.daemon.federation!.lookup("victim.test:63745"), /unreachable/);
    const enrolled = await fakeDb.pool.query(`SELECT 1 FROM known_realms`);
    assert.equal(enrolled.rowCount, 0, "nothing was sent to the fake server");
  } finally {
    await configured.drop();
    await fake.close();
    fakeId.close();
    await fakeDb.drop();
  }
});

test("kill -9 between storing and publishing a rotated key: after restart both keys authenticate", async () => {
  const db = await createTestDb();
  const id = "crashrot.test:63745";
  await db.pool.query(
    `INSERT INTO realms (id, host, port, slug, name, "registrationMode", "captchaProvider", "userCap", "defaultQuotaBytes", "updatedAt") VALUES ($1, 'crashrot.test', 63745, 'crashrot', 'Crash', 'OPEN', 'NONE', 10, 1000000, now())`,
    [id],
  );
  const token = await m.token(id);
  const start = (env: Record<string, string>) =>
    new Promise<ChildProcess>((resolve, reject) => {
      const child = fork(path.resolve(import.meta.dirname, "../../realm-daemon/main.ts"), [], {
        execArgv: ["--import", "tsx"],
        env: {
          ...process.env,
          DATABASE_URL: db.url,
          OPENGROOVE_REALM_BIND_HOST: HOST,
          OPENGROOVE_REALM_EPHEMERAL_PORTS: "true",
          OPENGROOVE_REALM_HTTP_PORT: "0",
          OPENGROOVE_LOG_LEVEL: "warn",
          OPENGROOVE_MANAGEMENT_ADDRESS: m.address,
          OPENGROOVE_MANAGEMENT_FINGERPRINT: m.fingerprint,
          OPENGROOVE_ENROLLMENT_TOKEN: token,
          ...env,
        },
        stdio: ["ignore", "ignore", "inherit", "ipc"],
      });
      child.once("exit", (code) => reject(new Error(`daemon exited early (${code})`)));
      child.on("message", (msg: ReadyMessage) => {
        if (msg.type !== "ready") return;
        child.removeAllListeners("exit");
        resolve(child);
      });
    });
  const registryKeys = async () => (await keysOf(id)).filter((k) => !k.revokedAt).map((k) => k.fingerprint);
  try {
    const first = await start({ OPENGROOVE_TEST_PAUSE_BEFORE_PUBLISH_MS: "600000" });
    await waitFor(async () => (await registryKeys()).length === 1, 15_000, "the realm to enroll");
    const [oldFp] = await registryKeys();
    await notify(db.pool, CHANNELS.keyRotation, { realmId: id, requestedAt: new Date().toISOString() });
    const pending = async () =>
      (await db.pool.query(`SELECT fingerprint FROM realm_keys WHERE "realmId" = $1 AND "publishPending"`, [id]))
        .rows as { fingerprint: string }[];
    await waitFor(async () => (await pending()).length === 1, 15_000, "the new key to be stored");
    const newFp = (await pending())[0].fingerprint;
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    assert.deepEqual(await registryKeys(), [oldFp], "not published before the crash");

    const second = await start({});
    try {
      await waitFor(
        async () => (await registryKeys()).length === 2 && (await pending()).length === 0,
        15_000,
        "the restart to publish the key and mark it published",
      );
      const keys = await loadSigningKeys(db.pool, id);
      assert.deepEqual(keys.map((k) => k.fingerprint).sort(), [oldFp, newFp].sort(), "signs with both");
      for (const k of keys) {
        const l = await open();
        assert.equal((await authrealm(l, id, k)).status, "OK", `authrealm with ${k.fingerprint}`);
        l.close();
      }
    } finally {
      second.kill("SIGTERM");
    }
  } finally {
    await db.drop();
  }
});
