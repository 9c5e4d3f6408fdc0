// `npm run backup -- --out FILE`: an online, consistent, encrypted backup of a running (or
// stopped) install. See docs/operations.md.
import "dotenv/config";
import fs from "node:fs";
import path from "node:path";
import { parseEnv, backupEnvSchema, ConfigError } from "../lib/config/env.ts";
import { EXIT_CONFIG } from "../lib/runtime/daemon-lifecycle.ts";
import { openInstallDb } from "../lib/backup/locate.ts";
import { writeBackup } from "../lib/backup/export.ts";
import { progressBar } from "../lib/backup/progress.ts";
import { formatBytes } from "../lib/format/bytes.ts";
import { DataDirLockedError } from "../lib/launcher/lock.ts";
import { RestoreRefusedError } from "../lib/backup/restore.ts";
import { recordBackupRun } from "../lib/backup/runs.ts";

const usage = "usage: npm run backup -- --out FILE   (passphrase in OPENGROOVE_BACKUP_KEY)";

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const i = args.indexOf("--out");
  const out = i >= 0 ? args[i + 1] : undefined;
  if (!out || args.length !== 2) {
    console.error(usage);
    return 64;
  }
  let env;
  try {
    env = parseEnv(backupEnvSchema);
  } catch (e) {
    console.error(e instanceof ConfigError ? e.message : String(e));
    return EXIT_CONFIG;
  }
  const file = path.resolve(out);
  if (fs.existsSync(file)) {
    console.error(`backup: ${file} already exists; choose another file name (backups are never overwritten)`);
    return 1;
  }
  if (!fs.existsSync(path.dirname(file))) {
    console.error(`backup: folder ${path.dirname(file)} does not exist`);
    return 1;
  }
  const db = await openInstallDb(env);
  const startedAt = new Date();
  try {
    console.log(`backup: snapshot of ${db.where}`);
    const bar = progressBar();
    const r = await writeBackup(db.databaseUrl, file, {
      passphrase: env.OPENGROOVE_BACKUP_KEY,
      dataDir: env.OPENGROOVE_DATA_DIR,
      onProgress: (p) =>
        bar.update(
          p.rowsDone,
          p.rowsTotal,
          `${p.table || "done"}  ${p.rowsDone}/${p.rowsTotal} rows  ${formatBytes(p.bytesWritten)}`,
        ),
    });
    bar.finish();
    await recordBackupRun(db.databaseUrl, {
      ok: true,
      trigger: "manual",
      file,
      bytes: r.bytes,
      sha256: r.sha256,
      startedAt,
    });
    const rows = r.manifest.tables.reduce((a, t) => a + t.rows, 0);
    console.log(
      `backup: wrote ${r.file} (${formatBytes(r.bytes)}, ${r.manifest.tables.length} tables, ${rows} rows) in ${(r.ms / 1000).toFixed(1)} s`,
    );
    console.log(`backup: sha256 ${r.sha256} (also in ${path.basename(r.file)}.sha256; check with sha256sum -c)`);
    return 0;
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    await recordBackupRun(db.databaseUrl, { ok: false, trigger: "manual", file, bytes: 0, error, startedAt });
    throw e;
  } finally {
    await db.release();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const known = e instanceof RestoreRefusedError || e instanceof DataDirLockedError;
    console.error(`backup failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(known ? 2 : 1);
  },
);
