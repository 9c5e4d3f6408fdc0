// The realm daemon's WebSocket port (/ws/<realm>) against a hostile client writing its own
// frames on a raw TCP socket (real daemon, real PostgreSQL): broken framing (text frames, empty
// and oversized messages, unmasked frames, reserved bits and opcodes, bad close codes), messages
// fragmented and split across reads at every byte, and random packets in random frames (fast-check,
// seeded). Every packet the server sends back carries a registered status word other than
// INTERNALERROR; the socket ends with a status push or a WebSocket close code that says why; the
// daemon keeps serving.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import net from "node:net";
import fc from "fast-check";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { decodeServerPacket, decodeErrorNotification, isStatusWord } from "../../lib/protocol/index.ts";
import { wellFormed, damagedPayload } from "../../chaos/fuzz-frames.ts";
import { oneByteChunks } from "../unit/protocol/helpers.ts";

const MAX = 64 * 1024;
let h: RealmHarness;
before(async () => {
  h = await startRealmHarness({ maxPacketBytes: MAX });
});
after(async () => h.stop());

/** One WebSocket frame as a client sends it (masked unless told otherwise). */
function frame(opcode: number, payload: Uint8Array, o: { fin?: boolean; mask?: boolean; rsv?: number } = {}): Buffer {
  const fin = o.fin ?? true;
  const mask = o.mask ?? true;
  const n = payload.length;
  const head = [((fin ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode) & 0xff];
  const len = n < 126 ? [n] : n < 65536 ? [126, n >> 8, n & 0xff] : [127, 0, 0, 0, 0, ...u32(n)];
  head.push(((mask ? 0x80 : 0) | len[0]) & 0xff, ...len.slice(1));
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i] ^= key[i % 4];
  return Buffer.concat([Buffer.from(head), mask ? key : Buffer.alloc(0), body]);
}
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

interface Seen {
  /** Payloads of binary messages from the server. */
  packets: Buffer[];
  /** The server's close code and reason, if it closed. */
  close?: { code: number; reason: string };
}

interface RawWs {
  socket: net.Socket;
  seen: Seen;
  closed: Promise<void>;
}

/** Upgrades a raw socket to /ws/<path> and parses the server's (unmasked) frames. */
function openRaw(path = "/ws/plain"): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port: h.daemon.httpPort! });
    const seen: Seen = { packets: [] };
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const closed = new Promise<void>((r) => socket.on("close", () => r()));
    socket.on("error", () => undefined);
    socket.once("connect", () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        if (!head.startsWith("HTTP/1.1 101")) return reject(new Error(head));
        upgraded = true;
        buf = buf.subarray(end + 4);
        resolve({ socket, seen, closed });
      }
      for (;;) {
        if (buf.length < 2) return;
        let n = buf[1] & 0x7f;
        let off = 2;
        if (n === 126) [n, off] = [buf.readUInt16BE(2), 4];
        else if (n === 127) [n, off] = [Number(buf.readBigUInt64BE(2)), 10];
        if (buf.length < off + n) return;
        const op = buf[0] & 0x0f;
        const payload = buf.subarray(off, off + n);
        buf = buf.subarray(off + n);
        if (op === 2) seen.packets.push(Buffer.from(payload));
        if (op === 8)
          seen.close = {
            code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005,
            reason: payload.subarray(2).toString(),
          };
      }
    });
  });
}

/** Status words of what the server sent (replies and pushes); "?" for an undecodable packet. */
function statuses(s: Seen): string[] {
  return s.packets.map((p) => {
    const d = decodeServerPacket(p);
    if (!d.ok) return "?";
    if (d.value.kind === "reply") return d.value.status;
    const e = d.value.event === "error" ? decodeErrorNotification(d.value.data, d.value.status) : null;
    return e?.ok ? e.value.status : d.value.status;
  });
}

async function healthy(): Promise<void> {
  const c = await h.connect(h.plainRealm, { transport: "ws", port: h.daemon.httpPort!, realm: "plain" });
  assert.equal((await c.request("ping")).status, "OK");
  c.close();
}

const settle = () => new Promise((r) => setTimeout(r, 150));

test("broken framing ends with a status push or a close code that says why", async () => {
  const cases: Array<{ name: string; bytes: Buffer; want: RegExp }> = [
    { name: "text frame", bytes: frame(1, Buffer.from("p1 ping ")), want: /^BADPACKET$/ },
    { name: "empty binary message", bytes: frame(2, new Uint8Array(0)), want: /^BADPACKET$/ },
    {
      name: "over maxPacketBytes",
      bytes: frame(2, new Uint8Array(MAX + 1).fill(0x61)),
      want: /^(TOOLARGE|close 1009)$/,
    },
    { name: "unmasked frame", bytes: frame(2, Buffer.from("p1 ping "), { mask: false }), want: /^close 1002$/ },
    { name: "reserved bit", bytes: frame(2, Buffer.from("p1 ping "), { rsv: 4 }), want: /^close 1002$/ },
    { name: "reserved opcode", bytes: frame(3, Buffer.from("p1 ping ")), want: /^close 1002$/ },
    { name: "continuation first", bytes: frame(0, Buffer.from("p1 ping ")), want: /^close 1002$/ },
    { name: "fragmented ping", bytes: frame(9, Buffer.from("x"), { fin: false }), want: /^close 1002$/ },
    { name: "bad close code", bytes: frame(8, Buffer.from([0x03, 0xe7])), want: /^close 1002$/ },
    { name: "undecodable packet", bytes: frame(2, Buffer.from("bad id! ping")), want: /^BADPACKET$/ },
  ];
  for (const c of cases) {
    const ws = await openRaw();
    ws.socket.write(c.bytes);
    const timer = setTimeout(() => ws.socket.destroy(), 5_000);
    await ws.closed;
    clearTimeout(timer);
    const words = statuses(ws.seen);
    for (const w of words) assert.ok(isStatusWord(w) && w !== "INTERNALERROR", `${c.name}: ${w}`);
    const why = words.at(-1) ?? (ws.seen.close ? `close ${ws.seen.close.code}` : "no reason");
    assert.match(why, c.want, `${c.name}: ${JSON.stringify(ws.seen)}`);
  }
  await healthy();
});

test("a request fragmented into frames and split across reads at every byte is answered", async () => {
  const payload = Buffer.from("f1 gettime ");
  const bytes = Buffer.concat([
    frame(2, payload.subarray(0, 3), { fin: false }),
    frame(9, Buffer.from("hi")), // a ping between the fragments
    frame(0, payload.subarray(3, 7), { fin: false }),
    frame(0, payload.subarray(7)),
  ]);
  const ws = await openRaw();
  for (const c of oneByteChunks(bytes)) {
    ws.socket.write(c);
    await new Promise((r) => setImmediate(r));
  }
  await settle();
  assert.deepEqual(statuses(ws.seen), ["OK"]);
  ws.socket.destroy();
});

test("random packets in pipelined bursts over WebSocket: status words only, never INTERNALERROR", async () => {
  const seenWords = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof({ weight: 4, arbitrary: wellFormed }, { weight: 1, arbitrary: damagedPayload }), {
        minLength: 1,
        maxLength: 8,
      }),
      async (frames) => {
        const ws = await openRaw();
        // The fuzz arbitraries build stream frames: drop the 4-byte length prefix (the WebSocket
        // message is the length), keep the payload.
        ws.socket.write(Buffer.concat(frames.map((f) => frame(2, f.subarray(4)))));
        ws.socket.write(frame(2, Buffer.from("zz ping ")));
        const until = Date.now() + 5_000;
        while (Date.now() < until && !ws.seen.close && !statuses(ws.seen).length) await settle();
        await settle();
        for (const w of statuses(ws.seen)) {
          seenWords.set(w, (seenWords.get(w) ?? 0) + 1);
          assert.ok(isStatusWord(w), `not a status word: ${w}`);
          assert.notEqual(w, "INTERNALERROR");
        }
        ws.socket.destroy();
      },
    ),
    { numRuns: Number(process.env.OG_HOSTILE_RUNS ?? 40), seed: 63780, endOnFailure: true },
  );
  assert.ok(seenWords.get("OK"), JSON.stringify([...seenWords]));
  await healthy();
});

test("the SDK over WebSocket reports an oversized packet as TOOLARGE, not a bare disconnection", async () => {
  const c = await h.connect(h.plainRealm, { transport: "ws", port: h.daemon.httpPort!, realm: "plain" });
  const err = await c.request("nop", new Uint8Array(MAX + 10)).then(
    () => null,
    (e: Error & { status?: string }) => e,
  );
  assert.equal(err?.status, "TOOLARGE", String(err));
  assert.match(err!.message, /maxPacketBytes/);
  c.close();
});
