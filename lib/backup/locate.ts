// Finds the database of an install the way the launcher sets it up: DATABASE_URL when set,
// otherwise the embedded cluster of OPENGROOVE_DATA_DIR (`<dir>/pg` or the folder named in
// `<dir>/pg-location`). A running cluster is reached on the port in its postmaster.pid; a
// stopped one is started for the duration of the command, under the launcher's lock.
import fs from "node:fs";
import path from "node:path";
import { embeddedUrl, runningPort, startEmbeddedPostgres, type EmbeddedPgHandle } from "../db/embedded-postgres.ts";
import { ensureDatabase } from "../db/migrate.ts";
import { acquireLock, type DataDirLock } from "../launcher/lock.ts";
import { existingPgDir, pgDataDir } from "../launcher/pg-dir.ts";
import { RestoreRefusedError } from "./restore.ts";

export interface InstallDb {
  databaseUrl: string;
  /** Human description for the command's output. */
  where: string;
  /** Stops what the command started (an embedded cluster, the lock). */
  release(): Promise<void>;
  /** Restore only: removes the cluster the command created after a failure. */
  discard(): Promise<void>;
}

const DB_NAME = "opengroove";

async function startLocked(dataDir: string, pgDir: string): Promise<{ pg: EmbeddedPgHandle; lock: DataDirLock }> {
  const lock = acquireLock(dataDir);
  try {
    const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: 0 });
    return { pg, lock };
  } catch (e) {
    lock.release();
    throw e;
  }
}

const none = async () => undefined;

/** An outside database (DATABASE_URL): nothing to start, release or discard. */
function externalDb(url: string): InstallDb {
  return { databaseUrl: url, where: `DATABASE_URL (${new URL(url).host})`, release: none, discard: none };
}

/** The database to back up. */
export async function openInstallDb(env: { DATABASE_URL?: string; OPENGROOVE_DATA_DIR: string }): Promise<InstallDb> {
  if (env.DATABASE_URL) return externalDb(env.DATABASE_URL);
  const dataDir = path.resolve(env.OPENGROOVE_DATA_DIR);
  const pgDir = existingPgDir(dataDir);
  if (!fs.existsSync(path.join(pgDir, "PG_VERSION")))
    throw new RestoreRefusedError(
      `no OpenGroove database in data directory ${dataDir} (no cluster at ${pgDir}); set OPENGROOVE_DATA_DIR to the install's data directory, or DATABASE_URL`,
    );
  const port = runningPort(pgDir);
  if (port)
    return {
      databaseUrl: embeddedUrl(port, DB_NAME),
      where: `embedded PostgreSQL of ${dataDir} (running, port ${port})`,
      release: none,
      discard: none,
    };
  const { pg, lock } = await startLocked(dataDir, pgDir);
  const release = async () => {
    await pg.stop().catch(() => undefined);
    lock.release();
  };
  return {
    databaseUrl: pg.url(DB_NAME),
    where: `embedded PostgreSQL of ${dataDir} (not running: started for the backup)`,
    release,
    discard: release,
  };
}

/** A new, empty database to restore into; refuses a data directory that already holds a cluster. */
export async function createRestoreTarget(
  env: { DATABASE_URL?: string; OPENGROOVE_DATA_DIR: string },
  say: (line: string) => void,
): Promise<InstallDb> {
  if (env.DATABASE_URL) return externalDb(env.DATABASE_URL);
  const dataDir = path.resolve(env.OPENGROOVE_DATA_DIR);
  const existing = existingPgDir(dataDir);
  if (fs.existsSync(path.join(existing, "PG_VERSION")))
    throw new RestoreRefusedError(
      `refusing to restore: data directory ${dataDir} already holds a database (${existing}). Restore only into a new, empty data directory (set OPENGROOVE_DATA_DIR), or move this one aside first.`,
    );
  fs.mkdirSync(dataDir, { recursive: true });
  const pgDir = pgDataDir(dataDir, say);
  const { pg, lock } = await startLocked(dataDir, pgDir);
  try {
    await ensureDatabase(pg.url("postgres"), DB_NAME);
  } catch (e) {
    await pg.stop().catch(() => undefined);
    lock.release();
    throw e;
  }
  return {
    databaseUrl: pg.url(DB_NAME),
    where: `new embedded PostgreSQL in ${dataDir}`,
    async release() {
      await pg.stop().catch(() => undefined);
      lock.release();
    },
    async discard() {
      await pg.stop().catch(() => undefined);
      fs.rmSync(pgDir, { recursive: true, force: true });
      fs.rmSync(path.join(dataDir, "pg-location"), { force: true });
      lock.release();
    },
  };
}
