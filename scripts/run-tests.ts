// `npm test`: starts one real PostgreSQL for the whole run (embedded, in a temporary folder,
// unless OG_TEST_PG_ADMIN_URL points at one), migrates a template database, runs every
// tests/**/*.test.ts with node's test runner, then the Playwright browser tests.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { startEmbeddedPostgres, type EmbeddedPgHandle } from "../lib/db/embedded-postgres.ts";

const root = path.resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const filters = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--only");

function findTests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "e2e" ? [] : findTests(p);
    return e.name.endsWith(".test.ts") ? [p] : [];
  });
}

function run(cmd: string, cmdArgs: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(cmd, cmdArgs, { cwd: root, env, stdio: "inherit" });
    p.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

let pg: EmbeddedPgHandle | undefined;
let tmp: string | undefined;
let code = 0;
try {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OPENGROOVE_LOG_LEVEL: process.env.OPENGROOVE_LOG_LEVEL ?? "warn",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  if (!env.OG_TEST_PG_ADMIN_URL) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-test-pg-"));
    fs.chmodSync(tmp, 0o755);
    pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port: 0 });
    env.OG_TEST_PG_ADMIN_URL = pg.url("postgres");
    console.log(`test PostgreSQL: embedded on 127.0.0.1:${pg.port}`);
  }
  process.env.OG_TEST_PG_ADMIN_URL = env.OG_TEST_PG_ADMIN_URL;
  const { ensureTemplate } = await import("../tests/helpers/db.ts");
  await ensureTemplate();

  let files = findTests(path.join(root, "tests"));
  if (only === "unit") files = files.filter((f) => f.includes(`${path.sep}unit${path.sep}`));
  if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
  files.sort();
  if (files.length) {
    code = await run(
      process.execPath,
      ["--import", "tsx", "--test", "--test-concurrency=2", "--test-timeout=300000", ...files],
      env,
    );
  }
  const e2eDir = path.join(root, "tests/e2e");
  if (
    code === 0 &&
    !only &&
    !filters.length &&
    fs.existsSync(e2eDir) &&
    fs.readdirSync(e2eDir).some((f) => f.endsWith(".spec.ts"))
  ) {
    // Browser tests run against the production build; make it on a fresh checkout.
    if (!fs.existsSync(path.join(root, ".next/BUILD_ID")) || process.env.CI) {
      console.log("building the web console for the browser tests (next build)");
      code = await run(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"], env);
    }
  }
  if (
    code === 0 &&
    !only &&
    !filters.length &&
    fs.existsSync(e2eDir) &&
    fs.readdirSync(e2eDir).some((f) => f.endsWith(".spec.ts"))
  ) {
    code = await run(process.execPath, [path.join(root, "node_modules/@playwright/test/cli.js"), "test"], env);
  }
} catch (e) {
  console.error(e);
  code = 1;
} finally {
  await pg?.stop().catch(() => undefined);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
