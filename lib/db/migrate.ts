// Applies prisma/migrations to a database with the Prisma CLI (`migrate deploy`), skipping the
// CLI (about 3 s to start) when every migration is already recorded as applied.
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import pg from "pg";

const root = path.resolve(import.meta.dirname, "../..");

/** Migration folder names of this version, oldest first. */
export function localMigrations(): string[] {
  return fs
    .readdirSync(path.join(root, "prisma/migrations"), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Names of migrations in prisma/migrations not yet recorded as applied (all of them on a new database). */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const wanted = localMigrations();
  const c = new pg.Client(databaseUrl);
  await c.connect();
  try {
    const t = await c.query(`SELECT to_regclass('_prisma_migrations') AS t`);
    if (!t.rows[0].t) return wanted;
    const r = await c.query<{ migration_name: string }>(
      `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const done = new Set(r.rows.map((x) => x.migration_name));
    return wanted.filter((m) => !done.has(m));
  } finally {
    await c.end();
  }
}

/** Runs `prisma migrate deploy`; returns the migrations it applied (empty when up to date). */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const pending = await pendingMigrations(databaseUrl);
  if (pending.length === 0) return [];
  const prismaCli = path.join(root, "node_modules/prisma/build/index.js");
  const r = spawnSync(
    process.execPath,
    ["--require", path.join(root, "scripts/unref-long-timers.cjs"), prismaCli, "migrate", "deploy"],
    {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`prisma migrate deploy failed:\n${r.stdout}\n${r.stderr}`);
  return pending;
}

/** Creates a database on a server if it does not exist (the embedded cluster's `opengroove`). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client(adminUrl);
  await c.connect();
  try {
    const r = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (r.rowCount === 0) await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end();
  }
}
