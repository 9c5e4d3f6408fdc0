// Scheduled backups: runs on an interval into a directory, keeps the newest N, records each
// run (ok or failed) for the dashboard and the realm daemon's /metrics; the launcher's settings
// are validated.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { startBackupSchedule, runScheduledBackup } from "../../lib/backup/schedule.ts";
import { backupStatus } from "../../lib/backup/runs.ts";
import { launcherEnvSchema, parseEnv } from "../../lib/config/env.ts";

const KEY = "scheduled backup passphrase";
let h: RealmHarness;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "og-sched-"));
before(async () => {
  h = await startRealmHarness();
});
after(async () => {
  await h.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const metric = async (name: string) => {
  const text = await (await fetch(`http://${HOST}:${h.daemon.httpPort}/metrics`)).text();
  // Every sample carries the daemon's `instance` label.
  return new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1];
};

test("runs on the interval, keeps the newest N, and reports the last result", async () => {
  assert.equal(await metric("opengroove_backup_last_success_timestamp_seconds"), "0");
  assert.equal(await metric("opengroove_backup_last_run_ok"), undefined);
  const results: Array<{ ok: boolean; file: string }> = [];
  const s = startBackupSchedule({
    databaseUrl: h.db.url,
    dir,
    intervalMs: 1100, // file names carry the second
    keep: 2,
    passphrase: KEY,
    onResult: (r) => results.push(r),
  });
  while (results.length < 4) await new Promise((r) => setTimeout(r, 100));
  s.stop();
  assert.ok(
    results.every((r) => r.ok),
    JSON.stringify(results),
  );
  const left = fs.readdirSync(dir).sort();
  assert.equal(left.filter((f) => f.endsWith(".ogbackup")).length, 2, left.join(" "));
  assert.deepEqual(
    left.filter((f) => f.endsWith(".ogbackup")),
    results.slice(-2).map((r) => path.basename(r.file)),
    "the newest two are kept",
  );
  assert.equal(left.filter((f) => f.endsWith(".sha256")).length, 2);
  const st = await backupStatus(h.db.pool);
  assert.equal(st.last?.ok, true);
  assert.equal(st.last?.file, results[3].file);
  assert.equal(await metric("opengroove_backup_last_run_ok"), "1");
  assert.equal(
    Number(await metric("opengroove_backup_last_success_timestamp_seconds")),
    Math.floor(st.lastSuccessAt!.getTime() / 1000),
  );
  assert.equal(await metric("opengroove_backup_last_bytes"), String(fs.statSync(results[3].file).size));

  // A failing run (directory cannot be created) is recorded as failed; the last good time stays.
  const blocker = path.join(dir, "not-a-dir");
  fs.writeFileSync(blocker, "x");
  let failed: { ok: boolean; error?: string } | undefined;
  await runScheduledBackup({
    databaseUrl: h.db.url,
    dir: path.join(blocker, "sub"),
    keep: 2,
    passphrase: KEY,
    onResult: (r) => (failed = r),
  });
  assert.equal(failed?.ok, false);
  assert.match(failed?.error ?? "", /ENOTDIR|not a directory/);
  assert.equal(await metric("opengroove_backup_last_run_ok"), "0");
  const after = await backupStatus(h.db.pool);
  assert.equal(after.lastSuccessAt?.getTime(), st.lastSuccessAt?.getTime());
  assert.match(after.last?.error ?? "", /ENOTDIR|not a directory/);
});

test("the launcher refuses a backup interval without a passphrase, and bad values", () => {
  assert.throws(
    () => parseEnv(launcherEnvSchema, { OPENGROOVE_BACKUP_INTERVAL_MINUTES: "60" }),
    /OPENGROOVE_BACKUP_KEY: required when OPENGROOVE_BACKUP_INTERVAL_MINUTES is set/,
  );
  assert.throws(
    () => parseEnv(launcherEnvSchema, { OPENGROOVE_BACKUP_INTERVAL_MINUTES: "0", OPENGROOVE_BACKUP_KEY: KEY }),
    /OPENGROOVE_BACKUP_INTERVAL_MINUTES/,
  );
  assert.throws(() => parseEnv(launcherEnvSchema, { OPENGROOVE_BACKUP_KEEP: "0" }), /OPENGROOVE_BACKUP_KEEP/);
  const ok = parseEnv(launcherEnvSchema, { OPENGROOVE_BACKUP_INTERVAL_MINUTES: "360", OPENGROOVE_BACKUP_KEY: KEY });
  assert.equal(ok.OPENGROOVE_BACKUP_INTERVAL_MINUTES, 360);
  assert.equal(ok.OPENGROOVE_BACKUP_KEEP, 7);
});
