// The CLI verifies realms through the management server it pinned (issue #12): a realm key
// rotated from the console (and a management key rotated from the console) is followed without
// a prompt; a certificate the registry does not vouch for, or a management server that is not
// the pinned one, is refused with a clear error. Real daemons, real TLS, the CLI as a child process.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import pino from "pino";
import { executeCommand, type CommandContext } from "../../lib/console/command.ts";
import { rotateRealmKey } from "../../lib/console/federation.ts";
import { rotateManagementKey } from "../../lib/console/federation-trust.ts";
import { CHANNELS, notify } from "../../lib/db/notify.ts";
import { tx } from "../../lib/db/tx.ts";
import { generateRealmKey, storeRotatedKey } from "../../lib/realm/keys.ts";
import type { PrismaClient } from "../../lib/generated/prisma/client.ts";
import { startManagementServer } from "../../management-daemon/server.ts";
import { ManagementIdentity } from "../../management-daemon/tls-identity.ts";
import { createTestDb } from "../helpers/db.ts";
import { startManagement, startRealmNode, waitFor, HOST, type ManagementHarness } from "../helpers/federation.ts";
import type { RealmNode } from "../helpers/federation.ts";
import { runCli } from "../helpers/cli.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "og-cli-trust-"));
let m: ManagementHarness;
let node: RealmNode;
let bob: string;

const cli = (args: string[], input = "") => runCli(args, { input, env: { OPENGROOVE_CONFIG_DIR: dir } });
const admin = (prisma: PrismaClient): CommandContext => ({
  prisma,
  ip: "203.0.113.5",
  actor: { kind: "operator", id: crypto.randomUUID(), username: "admin", role: "ADMIN", realmIds: new Set() },
});
/** SHA-256 of the certificate the realm port serves now. */
function servedCert(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: HOST, port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerX509Certificate()!.fingerprint256.replace(/:/g, "").toLowerCase());
      s.destroy();
    });
    s.on("error", reject);
  });
}
const pins = () =>
  JSON.parse(fs.readFileSync(path.join(dir, "known-realms.json"), "utf8")) as {
    realms: Record<string, { fingerprint: string }>;
  };

before(async () => {
  m = await startManagement(3_600_000);
  node = await startRealmNode("clitrust", m.address, { token: await m.token(), managementFingerprint: m.fingerprint });
  await node.waitApproved();
  const u = await node.user("bob");
  u.client.close();
  bob = u.userId;
});
after(async () => {
  await node.drop();
  await m.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("trust-management pins the key; a wrong fingerprint or no terminal is refused clearly", async () => {
  const addr = `${HOST}:${m.clientPort}`;
  const wrong = await cli(["trust-management", addr, "--fingerprint", "ab".repeat(32)]);
  assert.equal(wrong.code, 3, wrong.stderr);
  assert.match(wrong.stderr, /FINGERPRINT .*presented key sha256 [0-9a-f]{64}, but the pinned key is sha256 (ab){32}/);
  const noTty = await cli(["trust-management", addr]);
  assert.equal(noTty.code, 2, noTty.stderr);
  assert.match(noTty.stderr, new RegExp(`presents key sha256 ${m.fingerprint}; confirm it with --fingerprint`));
  const ok = await cli(["trust-management", addr, "--fingerprint", m.fingerprint.replace(/(..)/g, "$1:").slice(0, -1)]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, `Trusting the management server ${addr}: key sha256 ${m.fingerprint}\n`);
});

test("login verifies the realm's certificate with the management server", async () => {
  const r = await cli(
    ["login", bob, "--computer", "laptop", "--host", HOST, "--port", String(node.port()), "--password-stdin"],
    "correct horse battery\n",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /certificate sha256 [0-9a-f]{64} verified with the management server/);
  assert.equal(pins().realms[node.realmId].fingerprint, await servedCert(node.port()));
});

test("after console rotations of the management key and the realm key, the next command just works", async () => {
  const before = await servedCert(node.port());
  const mk = await executeCommand(rotateManagementKey, admin(m.db.prisma), {});
  assert.ok(mk.ok, JSON.stringify(mk));
  const oldMgmt = m.fingerprint;
  await waitFor(() => m.identity.fingerprint !== oldMgmt, 5_000, "the management server to switch keys");
  const rk = await executeCommand(rotateRealmKey, admin(node.db.prisma), { realmId: node.realmId });
  assert.ok(rk.ok, JSON.stringify(rk));
  await waitFor(async () => (await servedCert(node.port())) !== before, 15_000, "the realm to serve its new key");
  const r = await cli(["inbox"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "No messages waiting\n", "no prompt, no warning");
  assert.equal(pins().realms[node.realmId].fingerprint, await servedCert(node.port()), "pin updated");
  const mgmt = JSON.parse(fs.readFileSync(path.join(dir, "management.json"), "utf8")) as {
    current: { fingerprint: string };
  };
  assert.equal(mgmt.current.fingerprint, m.identity.fingerprint, "followed the vouched management key");
});

test("a certificate the registry does not vouch for is refused; so is a management server that is not the pinned one", async () => {
  const before = await servedCert(node.port());
  // The realm's certificate changes without the management server knowing (stolen host, or an attack).
  const k = await generateRealmKey(node.realmId, "clitrust.test");
  await tx(node.db.pool, (c) => storeRotatedKey(c, k, new Date(Date.now() + 3_600_000)));
  await notify(node.db.pool, CHANNELS.realm, node.realmId);
  await waitFor(async () => (await servedCert(node.port())) !== before, 15_000, "the unvouched certificate");
  const r = await cli(["inbox"]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `FINGERPRINT the realm presented certificate sha256 ${k.tlsFingerprint}, which the management server .* does not publish`,
    ),
  );
  assert.doesNotMatch(r.stderr, /\.json/, "no file to edit by hand");
  assert.equal(pins().realms[node.realmId].fingerprint, before, "pin unchanged");

  // A fake management server at the trusted address.
  await m.stop();
  const fakeDb = await createTestDb();
  const fakeId = await ManagementIdentity.load(fakeDb.pool, pino({ level: "silent" }));
  const fake = await startManagementServer({
    identity: fakeId,
    pool: fakeDb.pool,
    log: pino({ level: "silent" }),
    host: HOST,
    clientPort: m.clientPort,
    realmPort: 0,
  });
  try {
    const f = await cli(["inbox"]);
    assert.equal(f.code, 3, f.stderr);
    assert.match(
      f.stderr,
      /verifying realm .* with the management server .*: FINGERPRINT .*no rotation signed by the pinned key/,
    );
  } finally {
    await fake.close();
    fakeId.close();
    await fakeDb.drop();
    await m.restart();
  }
});
