// `tsx bench/federation-outbox.ts`: the outbox's speed to a remote realm, in its own process with
// a real (embedded, temporary) PostgreSQL, a management server and two realm daemons over TLS on
// loopback, each realm on its own database. Production retry and lease settings (only the
// management timings are shortened so the realms enroll quickly). Figures for docs/performance.md:
// 1. changes/s to a remote realm: N changes queued while the remote realm is down, then drained;
// 2. catch-up after a 60 s outage: changes published at a steady rate while the remote realm is
//    down for 60 s (real time), then the time from its restart until every change arrived;
// 3. messages/s to a remote realm: N small messages queued while the remote realm is down, then
//    drained (deliverbegin/deliverdata/delivercommit per message, pipelined).
// OG_BENCH_PARTS (comma-separated: changes, catchup, messages; default all) picks the parts.
import os from "node:os";
import { benchPostgres } from "./embedded-pg.ts";
import { FEDERATION_DEFAULTS } from "../realm-daemon/federation/config.ts";

const OUTAGE_MS = Number(process.env.OG_BENCH_OUTAGE_MS ?? 60_000);
const BURST = Number(process.env.OG_BENCH_BURST ?? 300);
const MESSAGES = Number(process.env.OG_BENCH_MESSAGES ?? 300);
const PARTS = new Set((process.env.OG_BENCH_PARTS ?? "changes,catchup,messages").split(","));

process.env.OPENGROOVE_LOG_LEVEL ??= "warn";
const pg = await benchPostgres("og-bench-fed");
const { startManagement, startRealmNodes, waitFor } = await import("../tests/helpers/federation.ts");
const { mirrorIdFor } = await import("../lib/federation/workspace-mirror.ts");

const m = await startManagement();
const production = {
  outboxPollMs: FEDERATION_DEFAULTS.outboxPollMs,
  retryBaseMs: FEDERATION_DEFAULTS.retryBaseMs,
  retryMaxMs: FEDERATION_DEFAULTS.retryMaxMs,
  peerRefreshMs: FEDERATION_DEFAULTS.peerRefreshMs,
  chunkBytes: FEDERATION_DEFAULTS.chunkBytes,
  // OG_BENCH_MESSAGE_WINDOW=0: messages one step at a time (the way before pipelining), for a same-machine comparison.
  outboxMessageWindow: Number(process.env.OG_BENCH_MESSAGE_WINDOW ?? FEDERATION_DEFAULTS.outboxMessageWindow),
};
const [r1, r2] = await startRealmNodes(
  ["r1", "r2"],
  m.address,
  async () => ({ token: await m.token(), limits: production }),
  "two-db",
);
try {
  await Promise.all([r1.waitApproved(), r2.waitApproved()]);
  const a = await r1.user("alice");
  const b = await r2.user("bob");
  const ws = await a.client.workspaces.create("bench");
  const mb = mirrorIdFor(r2.realmId, r1.realmId, ws);
  await a.client.workspaces.invite(ws, b.userId);
  await waitFor(async () => (await b.client.workspaces.list()).some((w) => w.id === mb), 60_000, "invitation");
  await b.client.workspaces.accept(mb);
  await waitFor(
    async () => (await a.client.workspaces.members(ws)).some((x) => x.status === "active" && x.userId === b.userId),
    60_000,
    "accept",
  );
  const head = async () =>
    BigInt(
      (await r2.db.pool.query<{ nextSeq: string }>(`SELECT "nextSeq" FROM workspaces WHERE id = $1`, [mb])).rows[0]
        .nextSeq,
    ) - 1n;
  const body = Buffer.alloc(1024, 7);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load ${os.loadavg()[0].toFixed(1)}`);

  // 1. Throughput: a queue of BURST changes drained to the remote realm.
  if (PARTS.has("changes") || PARTS.has("catchup")) await r2.stop();
  let published = 0;
  const p0 = Date.now();
  for (let i = 0; PARTS.has("changes") && i < BURST; i += 25) {
    await Promise.all(Array.from({ length: 25 }, () => a.client.workspaces.publish(ws, body)));
    published += 25;
  }
  // Same-run baseline: how fast this machine, now, stores changes on the local realm.
  const publishRate = (published * 1000) / (Date.now() - p0);
  if (PARTS.has("changes"))
    console.log(`baseline: ${published} changes published on the local realm at ${publishRate.toFixed(1)} changes/s`);
  let t = Date.now();
  if (PARTS.has("changes")) {
    await r2.start();
    t = Date.now();
    await waitFor(async () => (await head()) >= BigInt(published), 600_000, "burst drained");
    const drainMs = Date.now() - t;
    console.log(
      `throughput: ${published} changes of 1 KiB drained in ${drainMs} ms after the restart = ${((published * 1000) / drainMs).toFixed(1)} changes/s (includes noticing the restart); ratio to the local publish rate ${((published * 1000) / drainMs / publishRate).toFixed(2)}`,
    );
    if (PARTS.has("catchup")) await r2.stop();
  }

  // 2. Catch-up after an outage of OUTAGE_MS, changes published at 2/s meanwhile.
  if (PARTS.has("catchup")) await catchUp();
  if (PARTS.has("messages")) await messages();

  async function catchUp() {
    const until = Date.now() + OUTAGE_MS;
    while (Date.now() < until) {
      await a.client.workspaces.publish(ws, body);
      published++;
      await new Promise((r) => setTimeout(r, 500));
    }
    await r2.start();
    t = Date.now();
    let first = 0;
    const start = await head();
    await waitFor(
      async () => {
        const h = await head();
        if (!first && h > start) first = Date.now() - t;
        return h >= BigInt(published);
      },
      600_000,
      "catch-up",
    );
    console.log(
      `catch-up after a ${OUTAGE_MS / 1000} s outage: ${published - Number(start)} changes queued; first arrived ${first} ms and all ${Date.now() - t} ms after the restart`,
    );
  }

  // 3. Messages: MESSAGES small messages (1 KiB) queued for the remote realm while it is down.
  async function messages() {
    await r2.stop();
    const m0 = Date.now();
    for (let i = 0; i < MESSAGES; i += 25)
      await Promise.all(
        Array.from({ length: Math.min(25, MESSAGES - i) }, () => a.client.send(a.userId, [b.userId], body)),
      );
    const sendRate = (MESSAGES * 1000) / (Date.now() - m0);
    console.log(`baseline: ${MESSAGES} messages sent on the local realm at ${sendRate.toFixed(1)} messages/s`);
    const arrived = async () =>
      Number(
        (
          await r2.db.pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM messages WHERE "realmId" = $1 AND "senderId" = $2 AND "sentAt" IS NOT NULL`,
            [r2.realmId, a.userId],
          )
        ).rows[0].n,
      );
    await r2.start();
    const s0 = Date.now();
    let firstAt = 0;
    await waitFor(
      async () => {
        const n = await arrived();
        if (!firstAt && n > 0) firstAt = Date.now();
        return n >= MESSAGES;
      },
      600_000,
      "messages drained",
    );
    const end = Date.now();
    const rate = ((MESSAGES - 1) * 1000) / Math.max(end - firstAt, 1);
    console.log(
      `messages: ${MESSAGES} messages of 1 KiB drained in ${end - s0} ms after the restart (first after ${firstAt - s0} ms); first to last ${end - firstAt} ms = ${rate.toFixed(1)} messages/s; ratio to the local send rate ${(rate / sendRate).toFixed(2)}`,
    );
  }
} finally {
  await Promise.allSettled([r1.drop(), r2.drop()]);
  await m.drop();
  await pg.stop();
}
