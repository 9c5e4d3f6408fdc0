// Restore refusals with the real command: a wrong passphrase, truncated, damaged and foreign
// files are refused with clear errors before any database is created; a weak passphrase is refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { writeBackup } from "../../lib/backup/export.ts";

const root = path.resolve(import.meta.dirname, "../..");
const KEY = "correct horse backup staple";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-backup-refuse-"));
fs.chmodSync(tmp, 0o755);
const backupFile = path.join(tmp, "small.ogbackup");
let db: TestDb;
const h = { db: undefined as unknown as TestDb };
before(async () => {
  db = await createTestDb();
  h.db = db;
  // Chunks of 1 MiB: fill a table so the file has several and damage hits the middle one.
  await db.pool.query(
    `INSERT INTO audit_log ("actorLabel", action, "targetType", "targetId", after)
     SELECT 'test', 'filler', 'none', g::text, jsonb_build_object('pad', md5(g::text) || repeat('x', 400)) FROM generate_series(1, 8000) g`,
  );
  await writeBackup(db.url, backupFile, { passphrase: KEY });
});
after(async () => {
  await db.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const full: NodeJS.ProcessEnv = { ...process.env, OPENGROOVE_LOG_LEVEL: "warn", ...env };
  if (!env.DATABASE_URL) delete full.DATABASE_URL;
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

test("a wrong passphrase, a truncated file and a damaged file are refused, leaving no database behind", async () => {
  const raw = fs.readFileSync(backupFile);
  const cases: Array<{ name: string; bytes: Buffer; key: string; expect: RegExp }> = [
    { name: "wrong-key", bytes: raw, key: "not the right passphrase", expect: /wrong passphrase/ },
    { name: "truncated", bytes: raw.subarray(0, Math.floor(raw.length * 0.6)), key: KEY, expect: /truncated/ },
    { name: "header-only", bytes: raw.subarray(0, 30), key: KEY, expect: /truncated \(incomplete header\)/ },
    {
      name: "damaged",
      bytes: Buffer.from(raw).fill(0x5a, Math.floor(raw.length / 2), Math.floor(raw.length / 2) + 8),
      key: KEY,
      expect: /corrupted: chunk \d+ failed authentication/,
    },
    {
      name: "not-a-backup",
      bytes: Buffer.from("PGDMP this is something else entirely"),
      key: KEY,
      expect: /not an OpenGroove backup/,
    },
  ];
  for (const c of cases) {
    const file = path.join(tmp, `${c.name}.ogbackup`);
    fs.writeFileSync(file, c.bytes);
    const dataDir = path.join(tmp, `target-${c.name}`);
    const r = await run("restore.ts", [file], { OPENGROOVE_DATA_DIR: dataDir, OPENGROOVE_BACKUP_KEY: c.key });
    assert.equal(r.code, 2, `${c.name}: ${r.out}`);
    assert.match(r.out, /^restore refused: /m, c.name);
    assert.match(r.out, c.expect, c.name);
    assert.ok(!fs.existsSync(path.join(dataDir, "pg")), `${c.name}: no cluster created`);
  }
  // A short passphrase is refused before anything is read.
  const weak = await run("backup.ts", ["--out", path.join(tmp, "weak.ogbackup")], {
    DATABASE_URL: h.db.url,
    OPENGROOVE_BACKUP_KEY: "short",
  });
  assert.equal(weak.code, 78);
  assert.match(weak.out, /OPENGROOVE_BACKUP_KEY: must be at least 12 characters/);
  assert.doesNotMatch(weak.out, /short/);
});
