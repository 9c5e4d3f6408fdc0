// `npm run restore -- FILE`: restores a backup into a new data directory (embedded PostgreSQL)
// or into an empty DATABASE_URL database; refuses anything else. See docs/operations.md.
import "dotenv/config";
import fs from "node:fs";
import path from "node:path";
import { parseEnv, backupEnvSchema, ConfigError } from "../lib/config/env.ts";
import { EXIT_CONFIG } from "../lib/runtime/daemon-lifecycle.ts";
import { createRestoreTarget } from "../lib/backup/locate.ts";
import { checkPassphrase, restoreBackup, RestoreRefusedError, verifyBackup } from "../lib/backup/restore.ts";
import { BackupFileError } from "../lib/backup/cipher.ts";
import { localMigrations, migrate } from "../lib/db/migrate.ts";
import { progressBar } from "../lib/backup/progress.ts";
import { DataDirLockedError } from "../lib/launcher/lock.ts";
import { writeSecretFiles } from "../lib/backup/secret-files.ts";
const say = (line: string) => console.log(line);

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length !== 1 || args[0].startsWith("-")) {
    console.error("usage: npm run restore -- FILE   (passphrase in OPENGROOVE_BACKUP_KEY)");
    return 64;
  }
  let env;
  try {
    env = parseEnv(backupEnvSchema);
  } catch (e) {
    console.error(e instanceof ConfigError ? e.message : String(e));
    return EXIT_CONFIG;
  }
  const file = path.resolve(args[0]);
  if (!fs.existsSync(file)) {
    console.error(`restore: ${file} does not exist`);
    return 1;
  }
  // Wrong passphrase, not a backup, truncated or damaged: refused before anything is created.
  await checkPassphrase(file, env.OPENGROOVE_BACKUP_KEY);
  await verifyBackup(file, env.OPENGROOVE_BACKUP_KEY);
  const target = await createRestoreTarget(env, say);
  let ok = false;
  try {
    say(`restore: into ${target.where}`);
    const bar = progressBar();
    const r = await restoreBackup(file, target.databaseUrl, {
      passphrase: env.OPENGROOVE_BACKUP_KEY,
      localMigrations: localMigrations(),
      migrate: async (url) => {
        const applied = await migrate(url);
        if (applied.length) say(`restore: migrations applied (${applied.length})`);
      },
      onProgress: (p) => bar.update(p.rowsDone, p.rowsTotal, `${p.table}  ${p.rowsDone}/${p.rowsTotal} rows`),
    });
    bar.finish();
    const rows = Object.values(r.rows).reduce((a, b) => a + b, 0);
    say(
      `restore: loaded ${Object.keys(r.rows).length} tables, ${rows} rows from the backup of ${r.manifest.createdAt}; ${r.sequences} sequences reset`,
    );
    for (const t of r.manifest.tables) say(`  ${t.name}: ${r.rows[t.name]}`);
    for (const line of writeSecretFiles(env.OPENGROOVE_DATA_DIR, r.files)) say(`restore: ${line}`);
    say("restore: done; start the install with `npm start` (same OPENGROOVE_DATA_DIR / DATABASE_URL)");
    ok = true;
    return 0;
  } finally {
    if (ok) await target.release();
    else await target.discard();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const refused = e instanceof RestoreRefusedError || e instanceof BackupFileError || e instanceof DataDirLockedError;
    console.error(`restore ${refused ? "refused" : "failed"}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(refused ? 2 : 1);
  },
);
