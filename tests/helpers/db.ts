// Test databases: each test file gets a fresh, fully migrated database on a real PostgreSQL,
// cloned from a template that is migrated once per run (CREATE DATABASE ... TEMPLATE).
// The server comes from OG_TEST_PG_ADMIN_URL (set by scripts/run-tests.ts, which starts an
// embedded PostgreSQL, or by CI pointing at any PostgreSQL).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import pg from "pg";
import { connectDb, type DbHandle } from "../../lib/db/client.ts";

const root = path.resolve(import.meta.dirname, "../..");
// OG_TEST_TEMPLATE_DB lets two checkouts (e.g. git worktrees with different migrations) share one
// server without rebuilding each other's template.
export const TEMPLATE_DB = process.env.OG_TEST_TEMPLATE_DB ?? "og_test_template";
if (!/^[a-z_][a-z0-9_]*$/.test(TEMPLATE_DB))
  throw new Error(`OG_TEST_TEMPLATE_DB is not a plain identifier: ${TEMPLATE_DB}`);

export function adminUrl(): string {
  const url = process.env.OG_TEST_PG_ADMIN_URL;
  if (!url) throw new Error("OG_TEST_PG_ADMIN_URL is not set: run the tests with `npm test` (it starts PostgreSQL)");
  return url;
}

export function urlFor(database: string): string {
  const u = new URL(adminUrl());
  u.pathname = `/${database}`;
  return u.toString();
}

export function runMigrations(databaseUrl: string): void {
  const r = spawnSync(
    process.execPath,
    [
      "--require",
      path.join(root, "scripts/unref-long-timers.cjs"),
      path.join(root, "node_modules/prisma/build/index.js"),
      "migrate",
      "deploy",
    ],
    {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: "1" },
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`migrate deploy failed: ${r.stdout}\n${r.stderr}`);
}

/** Whether the template lacks a migration that prisma/migrations has (a new one was added). */
async function templateIsStale(): Promise<boolean> {
  const wanted = fs
    .readdirSync(path.join(root, "prisma/migrations"), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  const t = new pg.Client(urlFor(TEMPLATE_DB));
  await t.connect();
  try {
    const r = await t.query<{ migration_name: string }>(
      "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL",
    );
    const have = new Set(r.rows.map((x) => x.migration_name));
    return wanted.some((m) => !have.has(m));
  } catch {
    return true;
  } finally {
    await t.end();
  }
}

/** Creates and migrates the template database if it is missing or behind prisma/migrations (locked). */
export async function ensureTemplate(): Promise<void> {
  const c = new pg.Client(adminUrl());
  await c.connect();
  try {
    await c.query("SELECT pg_advisory_lock(727274)");
    let r = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [TEMPLATE_DB]);
    if (r.rowCount && (await templateIsStale())) {
      await c.query(`DROP DATABASE ${TEMPLATE_DB} WITH (FORCE)`);
      r = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [TEMPLATE_DB]);
    }
    if (r.rowCount === 0) {
      await c.query(`CREATE DATABASE ${TEMPLATE_DB}`);
      runMigrations(urlFor(TEMPLATE_DB));
    }
  } finally {
    await c.query("SELECT pg_advisory_unlock(727274)").catch(() => undefined);
    await c.end();
  }
}

export interface TestDb extends DbHandle {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh migrated database for one test file. Call drop() in after(). */
export async function createTestDb(): Promise<TestDb> {
  await ensureTemplate();
  const name = `og_t_${crypto.randomBytes(6).toString("hex")}`;
  const c = new pg.Client(adminUrl());
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
  } finally {
    await c.end();
  }
  const url = urlFor(name);
  const handle = connectDb(url, { max: 20, applicationName: "opengroove-test" });
  return {
    ...handle,
    name,
    url,
    async drop() {
      await handle.close();
      const c2 = new pg.Client(adminUrl());
      await c2.connect();
      await c2.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await c2.end();
    },
  };
}
