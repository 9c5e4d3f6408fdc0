// `npm start`: PostgreSQL (embedded unless DATABASE_URL is set), migrations, seed, the
// management daemon, the realm daemon and the web console, in that order; one line per
// component when it is ready; Ctrl-C / SIGTERM stops everything, PostgreSQL last.
import "dotenv/config";
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { launcherEnvSchema, parseEnv, ConfigError, type LauncherEnv } from "../lib/config/env.ts";
import { acquireLock, DataDirLockedError, type DataDirLock } from "../lib/launcher/lock.ts";
import { Supervisor, FatalComponentError } from "../lib/launcher/supervisor.ts";
import { startEmbeddedPostgres, type EmbeddedPgHandle } from "../lib/db/embedded-postgres.ts";
import { pgDataDir } from "../lib/launcher/pg-dir.ts";
import { ensureDatabase, migrate } from "../lib/db/migrate.ts";
import { startBackupSchedule } from "../lib/backup/schedule.ts";
import { formatBytes } from "../lib/format/bytes.ts";
import { connectDb } from "../lib/db/client.ts";
import { seed } from "../lib/domain/seed.ts";
import { createLogger } from "../lib/log.ts";
import { EXIT_CONFIG } from "../lib/runtime/daemon-lifecycle.ts";

const root = path.resolve(import.meta.dirname, "..");
const log = createLogger("launcher");
const say = (line: string) => process.stdout.write(`${line}\n`);

let lock: DataDirLock | undefined;
let embedded: EmbeddedPgHandle | undefined;
const supervisors: Supervisor[] = [];
let backups: { stop(): void } | undefined;
let shuttingDown = false;

async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    backups?.stop();
    // Reverse start order: web, realm, management; PostgreSQL last.
    for (const s of [...supervisors].reverse()) await s.stop().catch(() => undefined);
    if (embedded) await embedded.stop().catch((e) => log.error({ err: e }, "postgres stop failed"));
    lock?.release();
  }
  process.exit(code);
}

async function runMigrations(databaseUrl: string): Promise<void> {
  const applied = await migrate(databaseUrl);
  say(applied.length ? `migrations: applied ${applied.join(", ")}` : "migrations: up to date");
}

async function buildWebIfMissing(env: LauncherEnv): Promise<void> {
  if (fs.existsSync(path.join(root, ".next/BUILD_ID")) || env.OPENGROOVE_SKIP_BUILD) return;
  say("web: no production build yet; running `next build` (first start only, about a minute)");
  await new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`next build failed (exit ${code})`))));
  });
}

async function main(): Promise<void> {
  let env: LauncherEnv;
  try {
    env = parseEnv(launcherEnvSchema);
  } catch (e) {
    console.error(e instanceof ConfigError ? e.message : String(e));
    process.exit(EXIT_CONFIG);
  }
  const dataDir = path.resolve(env.OPENGROOVE_DATA_DIR);
  const components = new Set(env.OPENGROOVE_COMPONENTS.split(","));
  try {
    lock = acquireLock(dataDir);
  } catch (e) {
    console.error(e instanceof DataDirLockedError ? `refusing to start: ${e.message}` : String(e));
    process.exit(2);
  }
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    if (!components.has("postgres"))
      throw new ConfigError("DATABASE_URL: required when postgres is not among OPENGROOVE_COMPONENTS");
    embedded = await startEmbeddedPostgres({
      dataDir: pgDataDir(dataDir, say),
      port: env.OPENGROOVE_PG_PORT,
      onLog: (l) => log.debug({ pg: l }),
    });
    await ensureDatabase(embedded.url("postgres"), "opengroove");
    databaseUrl = embedded.url("opengroove");
    say(`postgres: ready at 127.0.0.1:${embedded.port} (embedded, pid ${embedded.pid})`);
  } else {
    say(`postgres: using DATABASE_URL (${new URL(databaseUrl).host})`);
  }

  await runMigrations(databaseUrl);
  const handle = connectDb(databaseUrl, { max: 2, applicationName: "opengroove-launcher" });
  const seeded = await seed(handle.prisma, {
    publicHost: env.OPENGROOVE_PUBLIC_HOST,
    adminUsername: env.OPENGROOVE_ADMIN_USERNAME,
    adminPassword: env.OPENGROOVE_ADMIN_PASSWORD,
    hcaptchaSiteKey: process.env.OPENGROOVE_HCAPTCHA_SITEKEY,
    hcaptchaSecret: process.env.OPENGROOVE_HCAPTCHA_SECRET,
  });
  await handle.close();
  say(
    `seed: ${seeded.createdRealms.length ? `created realms ${seeded.createdRealms.join(", ")}` : "realms already present"}`,
  );
  if (seeded.generatedAdminPassword) {
    say(
      `seed: console administrator "${env.OPENGROOVE_ADMIN_USERNAME}" created with password ${seeded.generatedAdminPassword}  (shown once; change it in the console)`,
    );
  }

  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    OPENGROOVE_DATA_DIR: dataDir,
    NEXT_TELEMETRY_DISABLED: "1",
  };
  const onFatal = (e: FatalComponentError) => {
    console.error(e.message);
    void shutdown(EXIT_CONFIG);
  };
  const startDaemon = async (name: string, script: string, env: NodeJS.ProcessEnv): Promise<string[]> => {
    const s = new Supervisor({ name, script: path.join(root, script), env }, log, onFatal);
    supervisors.push(s);
    const addresses = await s.start();
    say(`${name}: ready at ${addresses.join(", ")}`);
    return addresses;
  };
  let realmEnv = childEnv;
  if (components.has("management")) {
    const addresses = await startDaemon("management-daemon", "management-daemon/main.ts", childEnv);
    // The realm daemon federates through the management server started here (unless told
    // otherwise); realms of this install are recognised by their keys and approved at once.
    const realmPort = /:(\d+) \(realm servers\)/.exec(addresses.join(" "))?.[1];
    // Its key fingerprint is handed over too, so the realm daemon pins the management key
    // (TLS) from the start instead of on first use.
    const fingerprint = /sha256:([0-9a-f]{64}) \(management key\)/.exec(addresses.join(" "))?.[1];
    if (realmPort && !process.env.OPENGROOVE_MANAGEMENT_ADDRESS)
      realmEnv = {
        ...childEnv,
        OPENGROOVE_MANAGEMENT_ADDRESS: `127.0.0.1:${realmPort}`,
        ...(fingerprint ? { OPENGROOVE_MANAGEMENT_FINGERPRINT: fingerprint } : {}),
      };
  }
  if (components.has("realm")) await startDaemon("realm-daemon", "realm-daemon/main.ts", realmEnv);
  if (components.has("web")) {
    await buildWebIfMissing(env);
    const s = new Supervisor(
      { name: "web", script: path.join(root, "scripts/web-server.ts"), env: childEnv },
      log,
      onFatal,
    );
    supervisors.push(s);
    const addresses = await s.start();
    say(`web: ready at ${addresses.join(", ")}`);
    say(`console: ${addresses[0]}/console`);
  }
  if (env.OPENGROOVE_BACKUP_INTERVAL_MINUTES && env.OPENGROOVE_BACKUP_KEY) {
    const dir = path.resolve(env.OPENGROOVE_BACKUP_DIR ?? path.join(dataDir, "backups"));
    backups = startBackupSchedule({
      databaseUrl,
      dir,
      intervalMs: env.OPENGROOVE_BACKUP_INTERVAL_MINUTES * 60_000,
      keep: env.OPENGROOVE_BACKUP_KEEP,
      passphrase: env.OPENGROOVE_BACKUP_KEY,
      dataDir,
      onResult: (r) =>
        r.ok
          ? say(
              `backup: wrote ${r.file} (${formatBytes(r.bytes)})${r.pruned.length ? `; removed ${r.pruned.length} old` : ""}`,
            )
          : say(`backup: FAILED (${r.file}): ${r.error}`),
    });
    say(
      `backups: every ${env.OPENGROOVE_BACKUP_INTERVAL_MINUTES} min into ${dir}, keeping ${env.OPENGROOVE_BACKUP_KEEP}`,
    );
  }
  say("opengroove: all components ready (Ctrl-C stops everything)");
}

main().catch((e: unknown) => {
  if (e instanceof FatalComponentError || e instanceof ConfigError) console.error(e.message);
  else console.error(`launcher: ${e instanceof Error ? e.message : String(e)}`);
  void shutdown(e instanceof FatalComponentError || e instanceof ConfigError ? EXIT_CONFIG : 1);
});
