// Bench setup: a migrated database with the plain realm, users made in bulk with SQL (one
// password hash for all, so setup does not spend minutes in Argon2), the daemon in its own
// process and a pool of load-generator processes.
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import type pg from "pg";
import { hashPassword } from "../lib/auth/password.ts";
import { foldUsername } from "../lib/domain/usernames.ts";
import { seed } from "../lib/domain/seed.ts";
import { createTestDb, type TestDb } from "../tests/helpers/db.ts";
import type { REALM_DEFAULTS } from "../realm-daemon/config.ts";
import type { Cred, Job, JobResult } from "./load-worker.ts";

export const PASSWORD = "bench password 1234";
const TSX = ["--import", "tsx"];

export async function createBenchDb(): Promise<TestDb> {
  const db = await createTestDb();
  await seed(db.prisma, { publicHost: "realm.test", adminUsername: "admin", adminPassword: "admin-password-bench" });
  await db.prisma.realm.create({
    data: {
      id: "plain.test:63999",
      host: "plain.test",
      port: 63999,
      slug: "plain",
      name: "Plain",
      registrationMode: "OPEN",
      captchaProvider: "NONE",
      userCap: 1_000_000,
      defaultQuotaBytes: 64n * 1024n * 1024n * 1024n,
    },
  });
  return db;
}

export const REALM = "plain.test:63999";
let userSeq = 0;
let hash: string | undefined;

/** Makes `n` users with one computer each ("laptop"). */
export async function makeUsers(pool: pg.Pool, prefix: string, n: number): Promise<Cred[]> {
  hash ??= await hashPassword(PASSWORD);
  const names = Array.from({ length: n }, () => `${prefix}${String(userSeq++).padStart(5, "0")}`);
  await pool.query(
    `WITH u AS (INSERT INTO users (id, "realmId", username, "usernameKey", "passwordHash")
                SELECT gen_random_uuid(), $1, x, k, $3 FROM unnest($2::text[], $4::text[]) AS t(x, k) RETURNING id)
     INSERT INTO computers (id, "userId", name) SELECT gen_random_uuid(), id, 'laptop' FROM u`,
    // The key is the confusable skeleton the daemon looks names up by ("0" folds like "O").
    [REALM, names, hash, names.map(foldUsername)],
  );
  return names.map((username) => ({
    username,
    password: PASSWORD,
    computer: "laptop",
    userId: `${REALM}::${username}`,
  }));
}

export interface Daemon {
  proc: ChildProcess;
  /** TLS port of the plain realm; `ports` has every realm's by slug. */
  port: number;
  ports: Record<string, number>;
  httpPort: number;
  request<T>(msg: object, reply: string): Promise<T>;
  stop(): Promise<void>;
}

export function once<T>(p: ChildProcess, op: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: { op: string; error?: string }) => {
      if (m.op === op) {
        cleanup();
        resolve(m as T);
      } else if (m.op === "error") {
        cleanup();
        reject(new Error(m.error));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`process exited (${code}) while waiting for ${op}`));
    };
    const cleanup = () => {
      p.off("message", onMsg);
      p.off("exit", onExit);
    };
    p.on("message", onMsg);
    p.on("exit", onExit);
  });
}

export interface DaemonOptions {
  /** Limits over the bench's (REALM_DEFAULTS with connection caps lifted). */
  limits?: Partial<Record<keyof typeof REALM_DEFAULTS, number>>;
  /** Where the daemon's stdout and stderr go (a file descriptor); inherited when unset. */
  logFd?: number;
}

export async function startDaemon(dbUrl: string, opts: DaemonOptions = {}): Promise<Daemon> {
  const proc = fork(path.join(import.meta.dirname, "daemon-process.ts"), [], {
    execArgv: [...TSX, "--expose-gc"],
    env: { ...process.env, OG_BENCH_DB_URL: dbUrl, OG_BENCH_LIMITS: JSON.stringify(opts.limits ?? {}) },
    stdio: opts.logFd === undefined ? undefined : ["ignore", opts.logFd, opts.logFd, "ipc"],
  });
  const ready = await once<{ port: number; ports: Record<string, number>; httpPort: number }>(proc, "ready");
  return {
    proc,
    port: ready.port,
    ports: ready.ports,
    httpPort: ready.httpPort,
    request<T>(msg: object, reply: string) {
      const p = once<T>(proc, reply);
      proc.send(msg);
      return p;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return; // already gone (killed)
      const exited = new Promise((r) => proc.once("exit", r));
      proc.send({ op: "stop" });
      await exited;
    },
  };
}

/** Load-generator processes; a job's parts run on them at once, started together. */
export class Workers {
  private procs: ChildProcess[] = [];

  constructor(n: number) {
    for (let i = 0; i < n; i++)
      this.procs.push(fork(path.join(import.meta.dirname, "load-worker.ts"), [], { execArgv: TSX }));
  }

  get size(): number {
    return this.procs.length;
  }

  /** Runs one job per worker (fewer jobs: fewer workers) and returns the combined figures. */
  /** `prepared` runs once every worker is ready (connected, logged in), right before they start. */
  async run(
    jobs: Job[],
    prepared?: () => Promise<void>,
  ): Promise<{ secs: number; count: number; latencies: number[]; cpuMs: number }> {
    const used = this.procs.slice(0, jobs.length);
    await Promise.all(
      used.map((p, i) => {
        const r = once(p, "prepared");
        p.send({ op: "prepare", job: jobs[i] });
        return r;
      }),
    );
    await prepared?.();
    const results = await Promise.all(
      used.map((p) => {
        const r = once<{ result: JobResult }>(p, "done");
        p.send({ op: "go" });
        return r;
      }),
    );
    const rs = results.map((x) => x.result);
    return {
      secs: (Math.max(...rs.map((r) => r.end)) - Math.min(...rs.map((r) => r.start))) / 1000,
      count: rs.reduce((a, r) => a + r.count, 0),
      latencies: rs.flatMap((r) => r.latencies),
      cpuMs: rs.reduce((a, r) => a + r.cpuMs, 0),
    };
  }

  async release(): Promise<void> {
    await Promise.all(
      this.procs.map((p) => {
        const r = once(p, "released");
        p.send({ op: "release" });
        return r;
      }),
    );
  }

  stop(): void {
    for (const p of this.procs) p.kill();
  }
}

/** Splits items into `n` nearly equal parts (some may be empty when items < n). */
export function split<T>(items: T[], n: number): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  items.forEach((x, i) => out[i % n].push(x));
  return out.filter((p) => p.length);
}
