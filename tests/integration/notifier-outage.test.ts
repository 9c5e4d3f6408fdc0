// The daemon's LISTEN connection through a database outage: PostgreSQL unreachable for a while
// (a TCP proxy in front of it refuses and cuts connections), then back. Exactly one listener
// must come back, reporting one reconnection, and notifications arrive once (found by the chaos
// suite's PostgreSQL restart case: every failed attempt used to start a second retry chain).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import pino from "pino";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { Notifier } from "../../realm-daemon/notifier.ts";
import { CHANNELS, notify } from "../../lib/db/notify.ts";

let db: TestDb;
before(async () => {
  db = await createTestDb();
});
after(async () => db.drop());

/** A TCP proxy to PostgreSQL that can be taken down (all connections cut, new ones refused) and brought back on the same port. */
async function proxy(target: URL) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((s) => {
        const t = net.connect(Number(target.port), target.hostname);
        sockets.add(s).add(t);
        s.pipe(t).pipe(s);
        const drop = () => (s.destroy(), t.destroy());
        s.on("error", drop).on("close", drop);
        t.on("error", drop).on("close", drop);
      });
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      server!.close(() => resolve());
    });
  await up();
  return { port: () => port, up, down };
}

const listeners = async () =>
  (
    await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'opengroove-listen' AND datname = $1`,
      [db.name],
    )
  ).rows[0].n;

test("after an outage with several failed reconnection attempts, exactly one listener is back", async () => {
  const target = new URL(db.url);
  const p = await proxy(target);
  const via = new URL(db.url);
  via.port = String(p.port());
  const got: string[] = [];
  let reconnects = 0;
  const n = new Notifier(
    via.toString(),
    pino({ level: "silent" }),
    (ch, payload) => ch === CHANNELS.user && got.push(payload),
    () => reconnects++,
  );
  await n.start();
  try {
    assert.equal(await listeners(), 1);
    await p.down();
    // Long enough for several refused attempts (250, 500, 1000 ms backoff).
    await new Promise((r) => setTimeout(r, 2_500));
    await p.up();
    const deadline = Date.now() + 15_000;
    while (reconnects === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Give any second retry chain time to connect too.
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal(reconnects, 1, "one reconnection reported");
    assert.equal(await listeners(), 1, "one LISTEN connection");
    await notify(db.pool, CHANNELS.user, "after-outage");
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(got, ["after-outage"], "the notification arrives once");
  } finally {
    await n.stop();
    await p.down().catch(() => undefined);
  }
});
