// Prisma 6.19 CLI configuration for this offline machine: the wasm query engine ("js") with
// the pg driver adapter. The CLI's migrations need @prisma/adapter-pg 7.x (installed under the
// alias @prisma/adapter-pg-cli); the runtime uses 6.19.3 (see docs/stack.md).
import "dotenv/config";
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg-cli";
import pg from "pg";

// `prisma generate` needs a URL even though it never connects.
// The schema reads env("DATABASE_URL"); without one the CLI tries to download an engine.
process.env.DATABASE_URL ??= "postgresql://placeholder:placeholder@127.0.0.1:1/placeholder";
const url = process.env.DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  async adapter() {
    // A short idle timeout and allowExitOnIdle let the CLI exit as soon as it is done
    // (with pg's defaults it lingers ~10 s after "All migrations have been applied").
    const pool = new pg.Pool({ connectionString: url, allowExitOnIdle: true, idleTimeoutMillis: 100 });
    return new PrismaPg(pool);
  },
});
