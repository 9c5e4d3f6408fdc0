// Browser tests against the production server (scripts/web-server.ts serving the `.next`
// build — run `npx next build` first; `npm test` expects it). The database is fresh per run:
// its name is chosen here, the web server is pointed at it, and globalSetup creates, migrates
// (from the test template) and seeds it. OG_TEST_PG_ADMIN_URL names the PostgreSQL server.
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { defineConfig } from "@playwright/test";
import { hcaptchaVerifierServer, signupWebEnv } from "./tests/e2e/signup-env.ts";

function freePort(): string {
  const script =
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";
  return execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }).trim();
}

// Set once in the runner process; workers inherit them, so every process agrees.
process.env.OG_E2E_PORT ??= freePort();
process.env.OG_E2E_DB ??= `og_e2e_${crypto.randomBytes(5).toString("hex")}`;
// The signup specs' local hCaptcha siteverify double (tests/helpers/hcaptcha-verifier.ts).
process.env.OG_E2E_HCAPTCHA_PORT ??= freePort();
// Where the account spec's realm daemon takes WebSocket connections (tests/e2e/account.spec.ts
// forwards this port to the daemon's ephemeral HTTP port); the web server hands it to browsers.
process.env.OG_E2E_REALM_WS_PORT ??= freePort();
const adminUrl = process.env.OG_TEST_PG_ADMIN_URL;
if (!adminUrl)
  throw new Error("OG_TEST_PG_ADMIN_URL is not set: run the browser tests with `npm test` (it starts PostgreSQL)");
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${process.env.OG_E2E_DB}`;
const baseURL = `http://127.0.0.1:${process.env.OG_E2E_PORT}`;

export default defineConfig({
  testDir: "tests/e2e",
  testMatch: "**/*.spec.ts",
  outputDir: "test-results/playwright",
  globalSetup: "./tests/e2e/helpers/global-setup.ts",
  globalTeardown: "./tests/e2e/helpers/global-teardown.ts",
  // The specs share one database and one server; they run in order.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL,
    browserName: "chromium",
    launchOptions: {
      executablePath: process.env.OG_CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
  },
  webServer: [
    hcaptchaVerifierServer(),
    {
      command: `"${process.execPath}" --import tsx scripts/web-server.ts`,
      cwd: path.resolve(import.meta.dirname),
      // Answers without touching the database, which globalSetup creates after the server starts.
      url: `${baseURL}/console/sign-in`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        DATABASE_URL: dbUrl.toString(),
        OPENGROOVE_WEB_HOST: "127.0.0.1",
        OPENGROOVE_WEB_PORT: process.env.OG_E2E_PORT,
        OPENGROOVE_DATA_DIR: path.resolve(import.meta.dirname, "test-results/e2e-data"),
        OPENGROOVE_LOG_LEVEL: process.env.OPENGROOVE_LOG_LEVEL ?? "warn",
        AUTH_SECRET: crypto.randomBytes(32).toString("base64url"),
        OPENGROOVE_REALM_WS_URL: `ws://127.0.0.1:${process.env.OG_E2E_REALM_WS_PORT}`,
        NEXT_TELEMETRY_DISABLED: "1",
        ...signupWebEnv(),
      },
    },
  ],
});
