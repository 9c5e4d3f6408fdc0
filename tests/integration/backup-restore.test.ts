// Backup and restore with the real commands (child processes), a real PostgreSQL and real realm
// daemons: a backup taken while 8 clients keep sending restores into a new data directory, a
// daemon started on it serves the same realms, users, keys and message bytes; wrong passphrases,
// truncated and damaged files, and non-empty targets are refused without leaving anything behind.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import pg from "pg";
import { startRealmHarness, testRealmConfig, HOST, type RealmHarness } from "../helpers/realm.ts";
import { adminUrl, urlFor } from "../helpers/db.ts";
import { startEmbeddedPostgres, type EmbeddedPgHandle } from "../../lib/db/embedded-postgres.ts";
import { connectDb, type DbHandle } from "../../lib/db/client.ts";
import { recomputeUsage } from "../../lib/domain/quota.ts";
import { RealmDaemon } from "../../realm-daemon/daemon.ts";
import { createLogger } from "../../lib/log.ts";
import { RealmClient } from "../../client/sdk/index.ts";

const root = path.resolve(import.meta.dirname, "../..");
const KEY = "correct horse backup staple";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-backup-"));
fs.chmodSync(tmp, 0o755);
const backupFile = path.join(tmp, "install.ogbackup");

let h: RealmHarness;
const cleanups: Array<() => Promise<void>> = [];
before(async () => {
  h = await startRealmHarness();
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await h.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; out: string }> {
  const full: NodeJS.ProcessEnv = { ...process.env, OPENGROOVE_LOG_LEVEL: "warn" };
  delete full.DATABASE_URL;
  for (const [k, v] of Object.entries(env))
    if (v === undefined) delete full[k];
    else full[k] = v;
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", script), ...args], {
      cwd: root,
      env: full,
    });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("exit", (code) => resolve({ code: code ?? 1, out }));
  });
}

const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

async function tableCounts(pool: pg.Pool): Promise<Map<string, number>> {
  const t = await pool.query<{ name: string }>(
    `SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1`,
  );
  const out = new Map<string, number>();
  for (const { name } of t.rows)
    out.set(name, Number((await pool.query(`SELECT count(*) AS n FROM "${name}"`)).rows[0].n));
  return out;
}

/** Every sent message's bytes as stored: messageId → sha256. */
async function storedMessages(pool: pg.Pool): Promise<Map<string, string>> {
  const r = await pool.query<{ messageId: string; size: bigint; data: Buffer | null }>(
    `SELECT m."messageId", m.size, b.data FROM messages m LEFT JOIN message_blocks b ON b."messageId" = m.id
      WHERE m."sentAt" IS NOT NULL ORDER BY m.id, b.block`,
  );
  const parts = new Map<string, { size: number; data: Buffer[] }>();
  for (const row of r.rows) {
    const e = parts.get(row.messageId) ?? { size: Number(row.size), data: [] };
    if (row.data) e.data.push(row.data);
    parts.set(row.messageId, e);
  }
  return new Map([...parts].map(([id, e]) => [id, sha(Buffer.concat(e.data).subarray(0, e.size))]));
}

interface Sent {
  sha: string;
  to: number;
}

test("a backup taken while 8 clients send restores into a new data directory that a daemon serves", async () => {
  const recipients = [await h.user(h.plainRealm, "rcpt0"), await h.user(h.plainRealm, "rcpt1")];
  const senders = await Promise.all(Array.from({ length: 8 }, (_, i) => h.user(h.plainRealm, `sender${i}`)));
  await senders[0].client.setUserSetting("theme", "dark");
  const sent = new Map<string, Sent>();
  let stop = false;
  const loops = senders.map(async (s, i) => {
    for (let n = 0; !stop; n++) {
      const body = crypto.randomBytes(500 + ((i * 7919 + n * 104_729) % 140_000));
      const to = (i + n) % 2;
      const id = await s.client.send(s.userId, [recipients[to].userId], body);
      sent.set(id, { sha: sha(body), to });
    }
  });
  while (sent.size < 40) await new Promise((r) => setTimeout(r, 20));
  const okBefore = new Map(sent);
  const sourceBefore = await tableCounts(h.db.pool);
  // The data directory's secret files (console session key, signup HMAC key) travel with the backup.
  const sourceData = path.join(tmp, "source-data");
  fs.mkdirSync(sourceData);
  const authSecret = crypto.randomBytes(32).toString("base64url");
  const hmacKey = `${crypto.randomBytes(32).toString("base64url")}\n`;
  fs.writeFileSync(path.join(sourceData, "auth-secret"), authSecret, { mode: 0o600 });
  fs.writeFileSync(path.join(sourceData, "signup-hmac.key"), hmacKey, { mode: 0o600 });
  const b = await run("backup.ts", ["--out", backupFile], {
    DATABASE_URL: h.db.url,
    OPENGROOVE_BACKUP_KEY: KEY,
    OPENGROOVE_DATA_DIR: sourceData,
  });
  const okDuring = sent.size - okBefore.size;
  stop = true;
  await Promise.all(loops);
  assert.equal(b.code, 0, b.out);
  assert.ok(okDuring > 0, "clients kept sending while the backup ran");
  const fileSha = /sha256 ([0-9a-f]{64})/.exec(b.out)?.[1];
  assert.equal(fileSha, sha(fs.readFileSync(backupFile)), "the printed checksum is the file's");
  assert.equal(fs.readFileSync(`${backupFile}.sha256`, "utf8"), `${fileSha}  install.ogbackup\n`);
  assert.ok(!fs.existsSync(`${backupFile}.partial`));
  // The file is encrypted: no private key or message byte appears in clear.
  const raw = fs.readFileSync(backupFile);
  assert.equal(raw.indexOf("PRIVATE KEY"), -1);
  assert.equal(raw.indexOf("rcpt0"), -1);
  assert.equal(raw.indexOf(authSecret), -1);

  const dataDir = path.join(tmp, "restored");
  const r = await run("restore.ts", [backupFile], { OPENGROOVE_DATA_DIR: dataDir, OPENGROOVE_BACKUP_KEY: KEY });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /restore: auth-secret: written/);
  assert.equal(fs.readFileSync(path.join(dataDir, "auth-secret"), "utf8"), authSecret);
  assert.equal(fs.readFileSync(path.join(dataDir, "signup-hmac.key"), "utf8"), hmacKey);
  assert.equal(fs.statSync(path.join(dataDir, "signup-hmac.key")).mode & 0o777, 0o600);
  const restoredCounts = new Map([...r.out.matchAll(/^ {2}(\w+): (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));

  const epg: EmbeddedPgHandle = await startEmbeddedPostgres({ dataDir: path.join(dataDir, "pg"), port: 0 });
  cleanups.push(() => epg.stop());
  const restored: DbHandle = connectDb(epg.url("opengroove"), { max: 4 });
  cleanups.push(() => restored.close());

  // Row counts: every table as loaded equals the backup's snapshot; tables the senders do not
  // write equal the source's; the live-state tables are left out.
  const counts = await tableCounts(restored.pool);
  const written = new Set(["messages", "message_recipients", "message_blocks"]);
  const excluded = new Set(["_prisma_migrations", "daemon_instances", "presences", "rate_limit_buckets"]);
  for (const [table, n] of sourceBefore) {
    if (excluded.has(table)) continue;
    assert.equal(counts.get(table), restoredCounts.get(table), `${table}: loaded = backed up`);
    if (!written.has(table)) assert.equal(counts.get(table), n, `${table}: same rows as the source`);
  }
  assert.equal(counts.get("daemon_instances"), 0);

  // Messages: every one the senders got OK for before the backup began is there with the same
  // bytes; every one in the backup is complete and is one the senders got OK for.
  const stored = await storedMessages(restored.pool);
  for (const [id, s] of okBefore) assert.equal(stored.get(id), s.sha, `message ${id} restored byte for byte`);
  for (const [id, h2] of stored)
    assert.equal(h2, sent.get(id)?.sha, `restored message ${id} is one that was sent, complete`);
  // (A message still being written when the snapshot was taken is restored unsent, as it was.)
  assert.deepEqual(await recomputeUsage(restored.pool, h.plainRealm), [], "quota counters match the restored data");
  // Realm keys (private halves included) are the same.
  const keys = (p: pg.Pool) =>
    p.query(
      `SELECT k.fingerprint, s."privateKeyPem", s."tlsKeyPem" FROM realm_keys k JOIN realm_key_secrets s ON s."keyId" = k.id ORDER BY 1`,
    );
  assert.deepEqual((await keys(restored.pool)).rows, (await keys(h.db.pool)).rows);
  // Sequences continue after the restored ids.
  const next = await restored.pool.query(`SELECT nextval(pg_get_serial_sequence('messages', 'id')) AS n`);
  const max = await restored.pool.query(`SELECT max(id) AS m FROM messages`);
  assert.ok(BigInt(next.rows[0].n) > BigInt(max.rows[0].m));

  // A realm daemon on the restored database serves the same users and bytes.
  const daemon = new RealmDaemon(testRealmConfig(epg.url("opengroove")), createLogger("realm-restored", "warn"));
  await daemon.start();
  cleanups.push(() => daemon.stop());
  const realm = daemon.realmById(h.plainRealm)!;
  for (const [i, rc] of recipients.entries()) {
    const c = await RealmClient.connect({
      host: HOST,
      port: daemon.listeners.actualPort(realm.port)!,
      realm: realm.slug,
    });
    cleanups.push(async () => c.close());
    await c.authenticate(`rcpt${i}`, "laptop", rc.password);
    const inbox = new Set(await c.inbox());
    const mine = [...okBefore].filter(([, s]) => s.to === i);
    assert.ok(mine.length > 0);
    for (const [id, s] of mine) {
      assert.ok(inbox.has(id), `${id} in rcpt${i}'s inbox after restore`);
      assert.equal(sha(await c.read(id)), s.sha);
    }
  }
  // A new message after the restore gets a fresh id and is stored.
  const s0 = await RealmClient.connect({
    host: HOST,
    port: daemon.listeners.actualPort(realm.port)!,
    realm: realm.slug,
  });
  cleanups.push(async () => s0.close());
  await s0.authenticate("sender0", "laptop", senders[0].password);
  assert.equal(await s0.getUserSetting("theme"), "dark");
  await s0.send(senders[0].userId, [recipients[0].userId], Buffer.from("after restore"));

  // Restoring over this data directory again is refused.
  const again = await run("restore.ts", [backupFile], { OPENGROOVE_DATA_DIR: dataDir, OPENGROOVE_BACKUP_KEY: KEY });
  assert.equal(again.code, 2, again.out);
  assert.match(again.out, /refusing to restore: data directory .* already holds a database/);
});

test("restore into an empty DATABASE_URL database works; a non-empty one is refused", async () => {
  assert.ok(fs.existsSync(backupFile), "needs the backup of the first test");
  const name = `og_restore_${crypto.randomBytes(4).toString("hex")}`;
  const admin = new pg.Client(adminUrl());
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  cleanups.push(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
  const ok = await run("restore.ts", [backupFile], { DATABASE_URL: urlFor(name), OPENGROOVE_BACKUP_KEY: KEY });
  assert.equal(ok.code, 0, ok.out);
  const db = connectDb(urlFor(name), { max: 2 });
  cleanups.push(() => db.close());
  const loaded = new Map([...ok.out.matchAll(/^ {2}(\w+): (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
  for (const [table, n] of await tableCounts(db.pool)) if (loaded.has(table)) assert.equal(n, loaded.get(table), table);

  const full = await run("restore.ts", [backupFile], { DATABASE_URL: h.db.url, OPENGROOVE_BACKUP_KEY: KEY });
  assert.equal(full.code, 2, full.out);
  assert.match(full.out, /refusing to restore: the target database is not empty \(tables with rows: /);
});
