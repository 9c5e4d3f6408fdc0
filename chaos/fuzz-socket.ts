// Case 4b: fuzzed frames over real TLS connections to the daemon: 100,000 (10,000 in --short)
// frames from chaos/fuzz-frames.ts, on 8 connections at a time, half of them logged in (so the
// handlers of every state run). Each connection carries 100 well-formed packets with fuzzed
// arguments, then one with a damaged payload and one with damaged framing (either usually ends
// the connection). A `ping` after every 25 frames checks that the server processed them
// (replies come in order).
// Invariants: the daemon process never dies, no reply is INTERNALERROR (bad input gets a status
// word), the daemon still answers a fresh client at the end, and its RSS after a full GC grew by
// less than 64 MiB.
import tls from "node:tls";
import fc from "fast-check";
import {
  FrameParser,
  ServerGreetingParser,
  decodeErrorNotification,
  decodeServerPacket,
  encodeClientGreeting,
  encodeFrame,
  encodeRequest,
} from "../lib/protocol/index.ts";
import { badlyFramed, damagedPayload, wellFormed } from "./fuzz-frames.ts";
import { HOST, login, r2, sourceAddress, type Cred, type Ctx, type Figure } from "./harness.ts";

const PER_CONNECTION = 100;
const BATCH = 25;

/** A raw TLS connection speaking the greeting and frames through the codec; replies by status word. */
function rawConnection(port: number, onStatus: (s: string) => void): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: HOST, port, rejectUnauthorized: false });
    const greeting = new ServerGreetingParser();
    const frames = new FrameParser({ maxPacketBytes: 16 * 1024 * 1024 });
    const waiting = new Map<string, (got: boolean) => void>();
    let ready = false;
    const conn: RawConn = {
      closed: false,
      write: (b) => void (socket.destroyed || socket.write(b)),
      waitFor(id, ms) {
        return new Promise((res) => {
          if (conn.closed) return res(false);
          const t = setTimeout(() => (waiting.delete(id), res(false)), ms);
          waiting.set(id, (got) => (clearTimeout(t), res(got)));
        });
      },
      destroy: () => socket.destroy(),
    };
    socket.on("secureConnect", () => socket.write(encodeClientGreeting(["plain"])));
    socket.on("data", (chunk: Buffer) => {
      if (!ready) {
        for (const ev of greeting.feed(chunk)) {
          if (ev.type === "error") return reject(new Error(ev.error.reason));
          if (ev.type === "done") {
            ready = true;
            resolve(conn);
            if (ev.leftover.length) socket.emit("data", Buffer.from(ev.leftover));
          }
        }
        return;
      }
      const r = frames.push(chunk);
      for (const f of r.frames) {
        const p = decodeServerPacket(f);
        if (!p.ok) onStatus("UNDECODABLE");
        else if (p.value.kind === "reply") {
          onStatus(p.value.status);
          waiting.get(p.value.id)?.(true);
          waiting.delete(p.value.id);
        } else if (p.value.event === "error") {
          // The notice before the server closes a connection on a protocol error.
          const e = decodeErrorNotification(p.value.data, p.value.status);
          onStatus(`closed:${e.ok ? e.value.status : "?"}`);
        }
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      conn.closed = true;
      for (const w of waiting.values()) w(false);
      waiting.clear();
      if (!ready) reject(new Error("closed during the greeting"));
    });
  });
}

interface RawConn {
  closed: boolean;
  write(b: Uint8Array): void;
  /** Resolves true when the reply with this packet id arrived, false on timeout or close. */
  waitFor(id: string, ms: number): Promise<boolean>;
  destroy(): void;
}

export async function run(ctx: Ctx): Promise<Figure> {
  const total = ctx.opts.short ? 10_000 : 100_000;
  const conns = Math.ceil(total / (PER_CONNECTION + 2));
  const users = await ctx.users("fz", Math.ceil(conns / 2) + 2);
  const daemon = await ctx.daemon();
  const rss = () => daemon.request<{ rss: number }>({ op: "rss" }, "rss").then((r) => r.rss);
  const rssBefore = await rss();
  const statuses = new Map<string, number>();
  const count = (s: string) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
  let sent = 0;
  let closedEarly = 0;
  let stalled = 0;
  let next = 0;
  let userNext = 2; // fz00000 and fz00001 are named by the fuzzed fields
  const seed = Date.now() | 0;
  const gen = {
    well: fc.sample(wellFormed, { numRuns: conns * PER_CONNECTION, seed }),
    damaged: fc.sample(damagedPayload, { numRuns: conns, seed }),
    bad: fc.sample(badlyFramed, { numRuns: conns, seed }),
  };

  const lane = async () => {
    while (next < conns) {
      const k = next++;
      const user: Cred | undefined = k % 2 ? users[userNext++] : undefined;
      let c: RawConn;
      try {
        c = await rawConnection(daemon.port, count);
      } catch {
        count("CONNECTFAILED");
        continue;
      }
      if (user) {
        c.write(encodeFrame(encodeRequest("auth", "authenticate", [user.username, user.computer, user.password])));
        await c.waitFor("auth", 30_000);
      }
      for (let i = 0; i < PER_CONNECTION && !c.closed; i += BATCH) {
        for (let j = i; j < Math.min(i + BATCH, PER_CONNECTION); j++) {
          if (c.closed) break;
          c.write(gen.well[k * PER_CONNECTION + j]);
          sent++;
        }
        c.write(encodeFrame(encodeRequest(`s${i}`, "ping")));
        if (!(await c.waitFor(`s${i}`, 30_000))) {
          if (c.closed) closedEarly++;
          else stalled++;
          break;
        }
      }
      // The last two frames: a damaged payload, then damaged framing (the server closes, or waits
      // for the rest of a frame whose length prefix lies).
      if (!c.closed) {
        c.write(gen.damaged[k]);
        c.write(gen.bad[k]);
        sent += 2;
      }
      c.write(encodeFrame(encodeRequest("end", "ping")));
      await c.waitFor("end", 1_000);
      c.destroy();
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 8 }, lane));
  const secs = (Date.now() - t0) / 1000;
  const alive = daemon.proc.exitCode === null && daemon.proc.signalCode === null;
  let answers = false;
  let notAnswered = "";
  if (alive) {
    // A fresh client: an account the fuzzers never named and an address they never used (the
    // fuzzers' wrong passwords fill 127.0.0.1's login bucket, 50 per 15 min, in full mode: a
    // login from there is RATELIMITED, as it should be).
    const [fresh] = await ctx.users("fzcheck", 1);
    const c = await login(daemon.port, fresh, sourceAddress(100)).catch((e: unknown) => {
      notAnswered = `login: ${e instanceof Error ? e.message : String(e)}`;
      return undefined;
    });
    answers =
      !!c &&
      (await c.ping().then(
        () => true,
        (e: unknown) => ((notAnswered = `ping: ${String(e)}`), false),
      ));
    c?.close();
  }
  const growth = alive ? ((await rss()) - rssBefore) / 2 ** 20 : NaN;
  const internal = statuses.get("INTERNALERROR") ?? 0;
  const ok = alive && answers && internal === 0 && growth < 64;
  const tally = [...statuses].sort((a, b) => b[1] - a[1]);
  return {
    case: "fuzz-socket",
    ok,
    invariant: "daemon never dies, 0 INTERNALERROR replies, answers afterwards, RSS growth < 64 MiB",
    summary:
      `${sent} fuzzed frames on ${conns} TLS connections (half logged in) in ${r2(secs)} s: daemon ${alive ? "alive" : "DEAD"}, ` +
      `${answers ? "answers" : `DOES NOT ANSWER (${notAnswered})`}, INTERNALERROR ${internal}, RSS growth ${r2(growth)} MiB; ` +
      `replies ${tally.map(([s, n]) => `${s} ${n}`).join(", ")}; connections closed by the server before their end ${closedEarly}, stalled ${stalled}`,
    figures: {
      frames: sent,
      connections: conns,
      alive,
      answers,
      internalErrors: internal,
      rssGrowthMiB: r2(growth),
      replies: Object.fromEntries(tally),
      closedEarly,
      stalled,
      seed,
    },
  };
}
