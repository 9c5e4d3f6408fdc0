// Case 2: PostgreSQL stopped and started again while clients send. Invariants: nothing
// acknowledged is lost; the daemon serves again without a restart of its own; its LISTEN
// connection comes back (exactly one: a suspension announced after the restart ends that
// user's session within seconds); a user suspended right after the restart, while that
// LISTEN connection is still down (its NOTIFY is lost), is disconnected by the reconciliation.
// Figures: seconds until sends succeed again (from the database accepting connections), the
// statuses clients saw meanwhile.
import crypto from "node:crypto";
import pg from "pg";
import { CHANNELS } from "../lib/db/notify.ts";
import { OpenGrooveError, type RealmClient } from "../client/sdk/index.ts";
import { drainInto, login, lostOf, r2, retry, sha256, sleep, type Cred, type Ctx, type Figure } from "./harness.ts";

/** Suspends a user the way the console does (status + NOTIFY in one transaction); says whether a daemon was listening. */
async function suspend(url: string, userId: string): Promise<{ listening: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query("BEGIN");
    const l = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'opengroove-listen'`,
    );
    await c.query(`UPDATE users SET status = 'SUSPENDED' WHERE id = (SELECT id FROM users WHERE username = $1)`, [
      userId.split("::")[1],
    ]);
    await c.query(`SELECT pg_notify($1, (SELECT id FROM users WHERE username = $2))`, [
      CHANNELS.user,
      userId.split("::")[1],
    ]);
    await c.query("COMMIT");
    return { listening: l.rows[0].n };
  } finally {
    await c.end();
  }
}

/** Resolves with the seconds from `since` until the server ends this session (banned push or close). */
function endedAfter(c: RealmClient, since: () => number): Promise<number> {
  return new Promise((resolve) => c.onClose(() => resolve((Date.now() - since()) / 1000)));
}

async function listenBackends(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'opengroove-listen'`,
    );
    return r.rows[0].n;
  } finally {
    await c.end();
  }
}

export async function run(ctx: Ctx): Promise<Figure> {
  const restarts = ctx.opts.short ? 1 : 3;
  const outageMs = 3_000;
  const senders = await ctx.users("ps", 4);
  const [reader] = await ctx.users("pr", 1);
  const victims: Cred[] = await ctx.users("pv", 2 * restarts);
  const daemon = await ctx.daemon();
  const acked = new Map<string, string>();
  const statuses = new Map<string, number>();
  const serviceSecs: number[] = [];
  const missedSuspension: number[] = [];
  const notifiedSuspension: number[] = [];
  const listenCounts: number[] = [];
  const missedWhileListening: number[] = [];
  let stop = false;
  let lastOk = 0;

  const clients = await Promise.all(senders.map((s) => login(daemon.port, s)));
  const load = clients.map(async (c, i) => {
    while (!stop) {
      const body = crypto.randomBytes(1 + crypto.randomInt(4_000));
      const id = c.newMessageId(senders[i].userId);
      try {
        await c.post(id, [reader.userId], body);
        acked.set(id, sha256(body));
        lastOk = Date.now();
      } catch (e) {
        const s = e instanceof OpenGrooveError ? e.status : "ERROR";
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
        if (s === "DISCONNECTED") return; // the daemon closed us: not expected, counted above
        await sleep(50);
      }
    }
  });

  for (let k = 0; k < restarts; k++) {
    const [missed, notified] = [victims[2 * k], victims[2 * k + 1]];
    const vm = await login(daemon.port, missed);
    const vn = await login(daemon.port, notified);
    let upAt = 0;
    let suspendedAt = 0;
    const missedEnded = endedAfter(vm, () => upAt);
    await sleep(1_000);
    await ctx.pg.stop();
    await sleep(outageMs);
    await ctx.pg.start();
    upAt = Date.now();
    // At once, before the daemon's listener is back: this NOTIFY reaches nobody.
    const s1 = await suspend(ctx.pg.url(ctx.db.name), missed.userId);
    missedWhileListening.push(s1.listening);
    while (lastOk < upAt) await sleep(20);
    serviceSecs.push((lastOk - upAt) / 1000);
    missedSuspension.push(await Promise.race([missedEnded, sleep(60_000).then(() => Infinity)]));
    // The listener is back (exactly one) once the reconciliation ran; a NOTIFY now arrives.
    await retry(30_000, async () => {
      if ((await listenBackends(ctx.pg.url(ctx.db.name))) < 1) throw new Error("no listener");
    });
    await sleep(1_000);
    listenCounts.push(await listenBackends(ctx.pg.url(ctx.db.name)));
    const notifiedEnded = endedAfter(vn, () => suspendedAt);
    suspendedAt = Date.now();
    await suspend(ctx.pg.url(ctx.db.name), notified.userId);
    notifiedSuspension.push(await Promise.race([notifiedEnded, sleep(30_000).then(() => Infinity)]));
  }
  await sleep(500);
  stop = true;
  await Promise.all(load);
  for (const c of clients) c.close();
  const seen = new Map<string, { hash: string; times: number }>();
  await drainInto(daemon.port, [reader], seen);
  const lost = lostOf(acked, seen);
  const ok =
    lost.length === 0 &&
    serviceSecs.length === restarts &&
    missedSuspension.every((s) => s < 60) &&
    notifiedSuspension.every((s) => s < 5) &&
    listenCounts.every((n) => n === 1) &&
    !statuses.has("DISCONNECTED") &&
    !statuses.has("INTERNALERROR");
  const st = [...statuses].map(([s, n]) => `${s} ${n}`).join(", ") || "none";
  return {
    case: "pg-restart",
    ok,
    invariant:
      "lost = 0; sends succeed again; one LISTEN connection; a suspension missed during the outage ends the session (< 60 s); one announced after it ends it within 5 s; no client disconnected; no INTERNALERROR (an outage answers BUSY, which the SDK retries)",
    summary:
      `${restarts} × PostgreSQL stop + ${outageMs / 1000} s + start under 4 senders: ${acked.size} acknowledged, lost ${lost.length}` +
      `; service again after ${serviceSecs.map(r2).join(", ")} s; missed suspension enforced after ${missedSuspension.map(r2).join(", ")} s` +
      ` (LISTEN connections at that moment: ${missedWhileListening.join(", ")}), announced one after ${notifiedSuspension.map(r2).join(", ")} s` +
      `; LISTEN connections after: ${listenCounts.join(", ")}; failed sends meanwhile: ${st}`,
    figures: {
      restarts,
      outageSeconds: outageMs / 1000,
      acknowledged: acked.size,
      lost: lost.length,
      serviceAgainSeconds: serviceSecs.map(r2),
      missedSuspensionSeconds: missedSuspension.map(r2),
      listenersAtMissedSuspension: missedWhileListening,
      notifiedSuspensionSeconds: notifiedSuspension.map(r2),
      listenConnectionsAfter: listenCounts,
      failedSends: Object.fromEntries(statuses),
    },
  };
}
