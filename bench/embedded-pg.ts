// A temporary embedded PostgreSQL for a stand-alone bench script (unless OG_TEST_PG_ADMIN_URL
// names a server already), with the bench's template database. Import it before anything that
// reads OG_TEST_PG_ADMIN_URL (tests/helpers/db.ts), i.e. import those dynamically afterwards.
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { startEmbeddedPostgres } from "../lib/db/embedded-postgres.ts";

export async function benchPostgres(prefix: string): Promise<{ stop(): Promise<void> }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.chmodSync(tmp, 0o755);
  process.env.OG_TEST_TEMPLATE_DB ??= "og_bench_template";
  const server = process.env.OG_TEST_PG_ADMIN_URL
    ? undefined
    : await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port: 0 });
  if (server) process.env.OG_TEST_PG_ADMIN_URL = server.url("postgres");
  return {
    async stop() {
      await server?.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
