// A load-generator process (forked by bench/run.ts): the clients never share an event loop
// with the daemon. Each job is prepared (connect, log in), then waits for "go" so that every
// worker starts together, runs, and reports its start/end times and latencies.
import crypto from "node:crypto";
import pg from "pg";
import { RealmClient } from "../client/sdk/index.ts";
import { ownCpuMs } from "./cpu-usage.ts";

export interface Cred {
  username: string;
  password: string;
  computer: string;
  userId: string;
}

export type Job =
  | { kind: "store"; port: number; senders: Cred[]; recipients: string[]; perConn: number; bytes: number }
  | { kind: "drain"; port: number; readers: Cred[]; bytes: number }
  | { kind: "live"; port: number; senders: Cred[]; readers: Cred[]; perSec: number; seconds: number; bytes: number }
  | { kind: "idle"; port: number; count: number }
  | { kind: "latency"; port: number; cred: Cred; command: string; args: string[]; n: number }
  | { kind: "clients"; port: number; creds: Cred[]; command: string; args: string[]; n: number; pauseMs: number }
  | { kind: "insert"; url: string; conns: number; first: number; perConn: number; bytes: number }
  | { kind: "delete"; url: string; conns: number; first: number };

export interface JobResult {
  start: number;
  end: number;
  /** CPU ms this worker used between "go" and "done". */
  cpuMs: number;
  count: number;
  latencies: number[];
}

/** Requests one live sender keeps in flight (below the daemon's maxQueuedRequests). */
const LIVE_WINDOW = 32;
const now = () => performance.timeOrigin + performance.now();
const held: RealmClient[] = [];

async function login(port: number, c: Cred): Promise<RealmClient> {
  const client = await RealmClient.connect({ host: "127.0.0.1", port, realm: "plain", timeoutMs: 120_000 });
  await client.authenticate(c.username, c.computer, c.password);
  return client;
}

/** Prepares a job; returns the function that runs it. */
async function prepare(job: Job): Promise<() => Promise<Omit<JobResult, "start" | "end" | "cpuMs">>> {
  const payload = crypto.randomBytes("bytes" in job ? job.bytes : 0);
  switch (job.kind) {
    case "store": {
      const clients = await Promise.all(job.senders.map((s) => login(job.port, s)));
      return async () => {
        await Promise.all(
          clients.map(async (c, i) => {
            for (let k = 0; k < job.perConn; k++)
              await c.send(job.senders[i].userId, [job.recipients[(i + k) % job.recipients.length]], payload);
          }),
        );
        for (const c of clients) c.close();
        return { count: clients.length * job.perConn, latencies: [] };
      };
    }
    case "drain": {
      const clients = await Promise.all(job.readers.map((r) => login(job.port, r)));
      return async () => {
        let count = 0;
        await Promise.all(
          clients.map((c) =>
            c.receiveAll((_id, body) => {
              if (body.length !== job.bytes) throw new Error(`read ${body.length} bytes, expected ${job.bytes}`);
              count++;
            }),
          ),
        );
        for (const c of clients) c.close();
        return { count, latencies: [] };
      };
    }
    case "live": {
      const readers = await Promise.all(job.readers.map((r) => login(job.port, r)));
      const senders = await Promise.all(job.senders.map((s) => login(job.port, s)));
      const sentAt = new Map<string, number>();
      const latencies: number[] = [];
      for (const r of readers)
        r.on("messageavailable", (m) => {
          const t = sentAt.get(m.text);
          if (t !== undefined) latencies.push(now() - t);
        });
      return async () => {
        // Open loop: message k is due at t0 + k/perSec whatever happened to earlier ones, and
        // its latency counts from when it was due (no coordinated omission).
        const total = Math.round(job.perSec * job.seconds);
        const t0 = now();
        const pending: Promise<unknown>[] = [];
        const failures: string[] = [];
        // Each sender keeps at most LIVE_WINDOW requests in flight (the daemon answers BUSY past
        // maxQueuedRequests, 64): a message due while its sender's window is full waits in the
        // sender's queue, its latency still counted from when it was due.
        const inFlight = senders.map(() => 0);
        const queued: [string, string][][] = senders.map(() => []);
        const post = (s: number, id: string, to: string): void => {
          inFlight[s]++;
          pending.push(
            senders[s]
              .post(id, [to], payload)
              .catch((e: Error) => {
                failures.push(e.message);
              })
              .finally(() => {
                inFlight[s]--;
                const next = queued[s].shift();
                if (next) post(s, ...next);
              }),
          );
        };
        let k = 0;
        while (k < total) {
          const due = t0 + (k * 1000) / job.perSec;
          const wait = due - now();
          if (wait > 1) await new Promise((r) => setTimeout(r, Math.min(wait, 20)));
          else if (wait > 0) await new Promise((r) => setImmediate(r));
          while (k < total && t0 + (k * 1000) / job.perSec <= now()) {
            const s = k % senders.length;
            const id = senders[s].newMessageId(job.senders[s].userId);
            sentAt.set(id, t0 + (k * 1000) / job.perSec);
            const to = job.readers[k % readers.length].userId;
            if (inFlight[s] < LIVE_WINDOW) post(s, id, to);
            else queued[s].push([id, to]);
            k++;
          }
        }
        while (queued.some((q) => q.length) || inFlight.some((n) => n > 0)) await Promise.all(pending);
        await Promise.all(pending);
        if (failures.length) console.error(`live: ${failures.length} sends failed, first: ${failures[0]}`);
        const deadline = now() + 10_000;
        while (latencies.length < total && now() < deadline) await new Promise((r) => setTimeout(r, 20));
        for (const c of [...readers, ...senders]) c.close();
        return { count: latencies.length, latencies };
      };
    }
    case "idle": {
      return async () => {
        let opened = 0;
        const open = async () => {
          while (opened < job.count) {
            opened++;
            held.push(
              await RealmClient.connect({ host: "127.0.0.1", port: job.port, realm: "plain", timeoutMs: 120_000 }),
            );
          }
        };
        await Promise.all(Array.from({ length: 50 }, open));
        return { count: held.length, latencies: [] };
      };
    }
    case "latency": {
      const c = await login(job.port, job.cred);
      return async () => {
        const latencies: number[] = [];
        for (let i = 0; i < job.n; i++) {
          const t = now();
          await c.call(job.command, job.args);
          latencies.push(now() - t);
        }
        c.close();
        return { count: job.n, latencies };
      };
    }
    case "clients": {
      // Several logged-in clients at once, each making `n` calls with a pause between them
      // (interactive users, not a saturating load), every call's latency kept.
      const clients = await Promise.all(job.creds.map((c) => login(job.port, c)));
      return async () => {
        const latencies: number[] = [];
        await Promise.all(
          clients.map(async (c) => {
            for (let i = 0; i < job.n; i++) {
              const t = now();
              await c.call(job.command, job.args);
              latencies.push(now() - t);
              await new Promise((r) => setTimeout(r, job.pauseMs));
            }
          }),
        );
        for (const c of clients) c.close();
        return { count: latencies.length, latencies };
      };
    }
    case "insert":
    case "delete": {
      const clients = await Promise.all(
        Array.from({ length: job.conns }, async () => {
          const c = new pg.Client({ connectionString: job.url });
          await c.connect();
          return c;
        }),
      );
      return async () => {
        let count = 0;
        await Promise.all(
          clients.map(async (c, i) => {
            const tag = `r${job.first + i}`;
            if (job.kind === "insert") {
              for (let k = 0; k < job.perConn; k++) {
                await c.query("INSERT INTO bench_baseline (recipient, data) VALUES ($1, $2)", [tag, payload]);
                count++;
              }
            } else {
              const ids = await c.query<{ id: string }>("SELECT id FROM bench_baseline WHERE recipient = $1", [tag]);
              for (const row of ids.rows) {
                await c.query("DELETE FROM bench_baseline WHERE id = $1", [row.id]);
                count++;
              }
            }
          }),
        );
        await Promise.all(clients.map((c) => c.end()));
        return { count, latencies: [] };
      };
    }
  }
}

let run: (() => Promise<Omit<JobResult, "start" | "end" | "cpuMs">>) | undefined;
process.on("message", (m: { op: "prepare"; job: Job } | { op: "go" } | { op: "release" }) => {
  void (async () => {
    try {
      if (m.op === "prepare") {
        run = await prepare(m.job);
        process.send!({ op: "prepared" });
      } else if (m.op === "go") {
        const start = now();
        const cpu0 = ownCpuMs();
        const r = await run!();
        process.send!({ op: "done", result: { ...r, start, end: now(), cpuMs: ownCpuMs() - cpu0 } });
      } else if (m.op === "release") {
        for (const c of held.splice(0)) c.close();
        process.send!({ op: "released" });
      }
    } catch (e) {
      process.send!({ op: "error", error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  })();
});
