// Store-and-forward throughput and live-delivery latency of a real realm daemon (TLS, real
// PostgreSQL), next to a baseline measured in the same run: raw INSERT + DELETE of the same
// 1 KiB payloads through pg with the same number of connections.
import crypto from "node:crypto";
import pg from "pg";
import { startRealmHarness } from "../tests/helpers/realm.ts";
import type { RealmClient } from "../client/sdk/index.ts";

export interface StoreForwardResult {
  senders: number;
  messages: number;
  sendPerSec: number;
  receivePerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  baselineInsertPerSec: number;
  baselineDeletePerSec: number;
}

const PAYLOAD = 1024;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function parallel<T>(items: T[], fn: (x: T, i: number) => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await Promise.all(items.map(fn));
  return (performance.now() - t0) / 1000;
}

export async function benchStoreForward(opts: {
  senders: number;
  perSender: number;
  live: number;
}): Promise<StoreForwardResult> {
  const h = await startRealmHarness({ maxConnectionsPerIp: 1000 });
  try {
    const N = opts.senders;
    const senders: Array<{ client: RealmClient; userId: string }> = [];
    const recipients: Array<{ userId: string; password: string }> = [];
    for (let i = 0; i < N; i++) {
      senders.push(await h.user(h.plainRealm, `sender${i}`));
      const r = await h.user(h.plainRealm, `recipient${i}`);
      r.client.close(); // offline while messages are sent
      recipients.push({ userId: r.userId, password: r.password });
    }
    const payload = crypto.randomBytes(PAYLOAD);
    // Send: every sender sends perSender messages, round-robin over the offline recipients.
    const sendSecs = await parallel(senders, async (s, i) => {
      for (let k = 0; k < opts.perSender; k++) await s.client.send(s.userId, [recipients[(i + k) % N].userId], payload);
    });
    const total = N * opts.perSender;
    // Receive: recipients come online, download and delete everything.
    const readers = await Promise.all(
      recipients.map(async (r, i) => {
        const c = await h.connect(h.plainRealm);
        await c.authenticate(`recipient${i}`, "laptop", r.password);
        return c;
      }),
    );
    let received = 0;
    const recvSecs = await parallel(readers, async (c) => {
      for (const id of await c.inbox()) {
        const body = await c.readMessageData(id, 0, PAYLOAD);
        if (body.length !== PAYLOAD) throw new Error("short read");
        await c.deleteMessage(id);
        received++;
      }
    });
    if (received !== total) throw new Error(`received ${received} of ${total}`);

    // Live delivery: recipients online; time from sendmessage to the messageavailable push.
    const latencies: number[] = [];
    const sentAt = new Map<string, number>();
    for (const c of readers)
      c.on("messageavailable", (r) => {
        const t = sentAt.get(r.text);
        if (t !== undefined) latencies.push(performance.now() - t);
      });
    await parallel(senders, async (s, i) => {
      for (let k = 0; k < opts.live / N; k++) {
        const id = s.client.newMessageId(s.userId);
        await s.client.createMessage(id, [recipients[(i + k) % N].userId]);
        await s.client.writeMessageData(id, 0, payload);
        sentAt.set(id, performance.now());
        await s.client.sendMessage(id);
      }
    });
    const deadline = Date.now() + 10_000;
    while (latencies.length < sentAt.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    latencies.sort((a, b) => a - b);

    // Baseline: the same payloads, raw INSERT then DELETE, same number of connections.
    const pool = new pg.Pool({ connectionString: h.db.url, max: N });
    await pool.query(
      "CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, recipient text NOT NULL, data bytea NOT NULL)",
    );
    const workers = Array.from({ length: N }, (_, i) => i);
    const insSecs = await parallel(workers, async (i) => {
      for (let k = 0; k < opts.perSender; k++)
        await pool.query("INSERT INTO bench_baseline (recipient, data) VALUES ($1, $2)", [`r${(i + k) % N}`, payload]);
    });
    const delSecs = await parallel(workers, async (i) => {
      const ids = await pool.query<{ id: string }>("SELECT id FROM bench_baseline WHERE recipient = $1", [`r${i}`]);
      for (const row of ids.rows) await pool.query("DELETE FROM bench_baseline WHERE id = $1", [row.id]);
    });
    await pool.end();
    for (const c of readers) c.close();
    return {
      senders: N,
      messages: total,
      sendPerSec: total / sendSecs,
      receivePerSec: total / recvSecs,
      latencyP50Ms: pct(latencies, 50),
      latencyP99Ms: pct(latencies, 99),
      baselineInsertPerSec: total / insSecs,
      baselineDeletePerSec: total / delSecs,
    };
  } finally {
    await h.stop();
  }
}
