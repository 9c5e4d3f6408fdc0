// What every chaos case shares: the run's options, a PostgreSQL that can be stopped and started
// again on the same port, a fresh database per case (bench/setup.ts: the plain open realm and
// bulk users), the realm daemon in its own process (bench/daemon-process.ts), logged-in SDK
// clients, and the figure each case reports.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { startEmbeddedPostgres, type EmbeddedPgHandle } from "../lib/db/embedded-postgres.ts";
import { RealmClient } from "../client/sdk/index.ts";
import type { TestDb } from "../tests/helpers/db.ts";
import type { Daemon, DaemonOptions } from "../bench/setup.ts";
import type { Cred } from "../bench/load-worker.ts";

export type { Cred, Daemon };

export interface Options {
  /** CI mode: fewer repetitions, same invariants (except where a case says otherwise). */
  short: boolean;
  json: boolean;
  /** Folder of this run (PostgreSQL cluster, daemon logs). */
  tmp: string;
}

/** One case's result: its figures, the invariant in words, and whether it held. */
export interface Figure {
  case: string;
  ok: boolean;
  invariant: string;
  /** One human line with the figures. */
  summary: string;
  figures: Record<string, unknown>;
}

export type ChaosCase = (ctx: Ctx) => Promise<Figure>;

/** The embedded cluster of this run; stop() and start() keep its data directory and port. */
export class RestartablePg {
  private handle?: EmbeddedPgHandle;
  port = 0;

  constructor(private readonly dataDir: string) {}

  async start(): Promise<void> {
    this.handle = await startEmbeddedPostgres({ dataDir: this.dataDir, port: this.port });
    this.port = this.handle.port;
  }

  async stop(): Promise<void> {
    await this.handle?.stop();
    this.handle = undefined;
  }

  url(database = "postgres"): string {
    if (!this.handle) throw new Error("PostgreSQL is stopped");
    return this.handle.url(database);
  }
}

export interface Ctx {
  opts: Options;
  pg: RestartablePg;
  db: TestDb;
  say(line: string): void;
  /** Starts the realm daemon in its own process, its output in the case's log file. */
  daemon(opts?: DaemonOptions): Promise<Daemon>;
  /** `n` users with computer "laptop" on the plain realm (bulk SQL, one password). */
  users(prefix: string, n: number): Promise<Cred[]>;
}

export const HOST = "127.0.0.1";

/** A logged-in client of the plain realm. */
export async function login(port: number, c: Cred, localAddress?: string): Promise<RealmClient> {
  const client = await RealmClient.connect({ host: HOST, port, realm: "plain", timeoutMs: 30_000, localAddress });
  await client.authenticate(c.username, c.computer, c.password);
  return client;
}

/** Retries `fn` until it succeeds or `ms` pass (a daemon or database coming back). */
export async function retry<T>(ms: number, fn: () => Promise<T>, pauseMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(pauseMs);
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const sha256 = (b: Uint8Array) => crypto.createHash("sha256").update(b).digest("hex");
export const r2 = (x: number) => Math.round(x * 100) / 100;

export function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

/** 127.0.0.<2+i>: on Linux the whole of 127/8 is loopback, so one machine can act as many client addresses. */
export const sourceAddress = (i: number) => `127.0.${Math.floor((i + 2) / 250)}.${((i + 2) % 250) + 1}`;

/** Opens the log file of one case; returns its descriptor and path. */
export function caseLog(tmp: string, name: string): { fd: number; file: string } {
  const file = path.join(tmp, `${name}.log`);
  return { fd: fs.openSync(file, "a"), file };
}

/** The last lines of a log, for a failing case's report. */
export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * Receives everything waiting for these readers on `port`: `seen` maps message id to the hash of
 * the body read and the number of times it was delivered (a message whose delete did not commit
 * before a crash comes again: an at-least-once duplicate, not a loss).
 */
export async function drainInto(
  port: number,
  readers: Cred[],
  seen: Map<string, { hash: string; times: number }>,
): Promise<void> {
  await Promise.all(
    readers.map(async (r) => {
      const c = await login(port, r);
      try {
        await c.receiveAll((id, body) => {
          const s = seen.get(id);
          if (s) s.times++;
          else seen.set(id, { hash: sha256(body), times: 1 });
        });
      } finally {
        c.close();
      }
    }),
  );
}

/** Acknowledged messages missing or different among `seen`. */
export function lostOf(acked: Map<string, string>, seen: Map<string, { hash: string; times: number }>): string[] {
  return [...acked].filter(([id, hash]) => seen.get(id)?.hash !== hash).map(([id]) => id);
}
