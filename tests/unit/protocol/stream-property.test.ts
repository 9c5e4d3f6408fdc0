// Property tests: random packet sequences survive encoding into one stream (greeting, sync,
// frames) and decoding from arbitrary chunkings; random garbage never makes the parsers throw
// or stall. Deterministic: the PRNG is seeded, so a failure names a reproducible seed.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { asBuffer } from "../../../lib/protocol/node-bytes.ts";
import {
  GreetingMode,
  GreetingParser,
  ServerGreetingParser,
  FrameParser,
  FrameParserMode,
  SERVER_GREETING,
  SYNC_BYTE,
  STATUS_WORD_LIST,
  NOTIFICATION_EVENTS,
  ProtocolError,
  encodeClientGreeting,
  encodeFrame,
  encodeRequest,
  encodeReply,
  encodeNotification,
  decodeRequest,
  decodeServerPacket,
  splitFields,
  splitWithTrailingData,
  joinFieldsWithTrailingData,
  type Result,
} from "../../../lib/protocol/index.ts";
import { Rng, randomChunks } from "./helpers.ts";

const SEQUENCES = 500;
const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
const NAME_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const TEXT_ALPHABET = "abc XYZ 019 ,.;:!?/\\\"'\t\u0000é日本🎵";

interface Pipeline<T> {
  greetingEvents: number;
  words: string[] | null;
  packets: Result<T>[];
  greetingError: ProtocolError | null;
  frameError: ProtocolError | null;
  /** Bytes the parsers accounted for: greeting + completed frames + buffered partial frame. */
  accounted: number;
  frames: FrameParser;
  greetingMode: GreetingMode;
}

/** Greeting parser, then frame parser, then a payload decoder: how a connection uses them. */
function runPipeline<T>(
  greeting: GreetingParser | ServerGreetingParser,
  decode: (payload: Buffer) => Result<T>,
  chunks: Buffer[],
  maxPacketBytes?: number,
): Pipeline<T> {
  const frames = new FrameParser(maxPacketBytes === undefined ? {} : { maxPacketBytes });
  const out: Pipeline<T> = {
    greetingEvents: 0,
    words: null,
    packets: [],
    greetingError: null,
    frameError: null,
    accounted: 0,
    frames,
    greetingMode: greeting.mode,
  };
  const pushFrames = (bytes: Buffer) => {
    const r = frames.push(bytes);
    for (const f of r.frames) {
      out.accounted += 4 + f.length;
      out.packets.push(decode(asBuffer(f)));
    }
    if (r.error) out.frameError = r.error;
  };
  for (const chunk of chunks) {
    if (out.greetingError || out.frameError) break;
    if (greeting.mode === GreetingMode.Done) {
      pushFrames(chunk);
      continue;
    }
    for (const e of greeting.feed(chunk)) {
      if (e.type === "greeting") {
        out.greetingEvents++;
        if ("words" in e.greeting) out.words = e.greeting.words;
      } else if (e.type === "done") {
        out.accounted += chunk.length - e.leftover.length;
        pushFrames(asBuffer(e.leftover));
      } else {
        out.greetingError = e.error;
      }
    }
    // Bytes fed to a greeting parser that is still waiting are held (or skipped) by it.
    if (greeting.mode === GreetingMode.Greeting || greeting.mode === GreetingMode.Sync) out.accounted += chunk.length;
  }
  out.accounted += frames.bufferedBytes;
  out.greetingMode = greeting.mode;
  return out;
}

function expectOk<T>(r: Result<T>, context: string): T {
  if (!r.ok) assert.fail(`${context}: ${r.error.status} ${r.error.reason}`);
  return r.value;
}

function randomText(rng: Rng, max: number): string {
  return rng.string(TEXT_ALPHABET, 0, max);
}

interface RandomRequest {
  id: string;
  command: string;
  args: Buffer | string[] | undefined;
  expectArgs: Buffer;
  /** For trailing-data args: how to split them back, and what to expect. */
  trailing?: { fieldCount: number; lengthIndex: number; fields: string[]; data: Buffer };
}

function randomRequest(rng: Rng): RandomRequest {
  const id = rng.string(ID_ALPHABET, 1, 32);
  const command = rng.string(NAME_ALPHABET, 1, 32);
  const base = { id, command };
  switch (rng.int(0, 3)) {
    case 0:
      return { ...base, args: undefined, expectArgs: Buffer.alloc(0) };
    case 1: {
      const fields = Array.from({ length: rng.int(0, 6) }, () => randomText(rng, 40));
      return { ...base, args: fields, expectArgs: Buffer.from(fields.join("\n"), "utf8") };
    }
    case 2: {
      // Binary, biased towards the bytes that matter to the parsers.
      const data = rng.bool()
        ? rng.bytes(rng.int(0, 4096))
        : Buffer.from(Array.from({ length: rng.int(0, 64) }, () => rng.pick([0, 10, 13, 0x63, 0x20, 0xff])));
      return { ...base, args: data, expectArgs: data };
    }
    default: {
      const data = rng.bytes(rng.int(0, 3000));
      const fieldCount = rng.int(1, 4);
      const lengthIndex = rng.int(0, fieldCount - 1);
      const fields = Array.from({ length: fieldCount }, (_, i) =>
        i === lengthIndex ? String(data.length) : randomText(rng, 20),
      );
      const args = asBuffer(joinFieldsWithTrailingData(fields, data));
      return { ...base, args, expectArgs: args, trailing: { fieldCount, lengthIndex, fields, data } };
    }
  }
}

describe("round trips through one stream at random chunkings", { timeout: 120_000 }, () => {
  test(`${SEQUENCES} client->server sequences`, () => {
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const rng = new Rng(seed);
      const words = Array.from({ length: rng.int(0, 3) }, () => rng.string(NAME_ALPHABET, 1, 20));
      const requests = Array.from({ length: rng.int(1, 8) }, () => randomRequest(rng));
      const stream = Buffer.concat([
        asBuffer(encodeClientGreeting(words)),
        ...requests.map((r) => asBuffer(encodeFrame(encodeRequest(r.id, r.command, r.args)))),
      ]);
      const got = runPipeline(new GreetingParser(), decodeRequest, randomChunks(stream, rng));
      const ctx = `seed ${seed}`;
      assert.equal(got.greetingError, null, ctx);
      assert.equal(got.frameError, null, ctx);
      assert.deepEqual(got.words, words, ctx);
      assert.equal(got.packets.length, requests.length, ctx);
      assert.equal(got.accounted, stream.length, ctx);
      assert.equal(got.frames.bufferedBytes, 0, ctx);
      requests.forEach((want, i) => {
        const pkt = expectOk(got.packets[i]!, `${ctx} packet ${i}`);
        assert.equal(pkt.id, want.id, ctx);
        assert.equal(pkt.command, want.command.toLowerCase(), ctx);
        assert.ok(pkt.args.equals(want.expectArgs), `${ctx} packet ${i} args`);
        if (Array.isArray(want.args) && want.args.length > 0) {
          assert.deepEqual(expectOk(splitFields(pkt.args), ctx), want.args, ctx);
        }
        if (want.trailing) {
          const t = want.trailing;
          const split = expectOk(splitWithTrailingData(pkt.args, t.fieldCount, t.lengthIndex), ctx);
          assert.deepEqual(split.fields, t.fields, ctx);
          assert.ok(split.data.equals(t.data), `${ctx} trailing data`);
        }
      });
    }
  });

  test(`${SEQUENCES} server->client sequences`, () => {
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const rng = new Rng(seed * 7919);
      type Want =
        | { kind: "reply"; id: string; command: string; status: string; data: Buffer }
        | { kind: "notification"; event: string; data: Buffer };
      const wants: Want[] = [];
      const payloads: Buffer[] = [];
      for (let n = rng.int(1, 8); n > 0; n--) {
        const data = rng.bool() ? rng.bytes(rng.int(0, 2000)) : Buffer.from(randomText(rng, 60), "utf8");
        if (rng.bool(0.3)) {
          const event = rng.pick(NOTIFICATION_EVENTS);
          payloads.push(asBuffer(encodeNotification(event, data)));
          wants.push({ kind: "notification", event, data });
        } else {
          const id = rng.string(ID_ALPHABET, 1, 32);
          const command = rng.string(NAME_ALPHABET, 1, 32);
          const status = rng.pick(STATUS_WORD_LIST);
          payloads.push(asBuffer(encodeReply(id, command, status, data)));
          wants.push({ kind: "reply", id, command: command.toLowerCase(), status, data });
        }
      }
      const stream = Buffer.concat([SERVER_GREETING, SYNC_BYTE, ...payloads.map((p) => asBuffer(encodeFrame(p)))]);
      const got = runPipeline(new ServerGreetingParser(), decodeServerPacket, randomChunks(stream, rng));
      const ctx = `seed ${seed}`;
      assert.equal(got.greetingError, null, ctx);
      assert.equal(got.frameError, null, ctx);
      assert.equal(got.accounted, stream.length, ctx);
      assert.deepEqual(
        got.packets.map((p) => expectOk(p, ctx)),
        wants,
        ctx,
      );
    }
  });
});

/** Garbage with structure: random bytes, plausible frame headers, newlines, greeting fragments. */
function garbage(rng: Rng, maxPacketBytes: number): Buffer {
  const parts: Buffer[] = [];
  for (let n = rng.int(0, 12); n > 0; n--) {
    switch (rng.int(0, 6)) {
      case 0:
        parts.push(rng.bytes(rng.int(0, 300)));
        break;
      case 1: {
        const h = Buffer.alloc(4);
        h.writeUInt32BE(
          rng.bool(0.1) ? rng.pick([0, maxPacketBytes + 1, 0xffffffff]) : rng.int(1, Math.min(maxPacketBytes, 200)),
          0,
        );
        parts.push(h);
        break;
      }
      case 2:
        parts.push(Buffer.from(rng.pick(["\r", "\n", "\r\n", "c", " ", "*"]), "latin1"));
        break;
      case 3:
        parts.push(
          Buffer.from(rng.pick(["OpenGroove", "opengroove x", "GET / HTTP/1.1", "OpenGrooveServer"]), "latin1"),
        );
        break;
      case 4:
        parts.push(
          asBuffer(
            encodeFrame(
              Buffer.from(`${rng.string(ID_ALPHABET, 0, 34)} ${rng.string(NAME_ALPHABET + " ", 0, 34)}\n`, "latin1"),
            ),
          ),
        );
        break;
      case 5: {
        // Reply- or notification-shaped, sometimes with a bad status word.
        const head = rng.bool(0.3)
          ? `* ${rng.string(NAME_ALPHABET, 0, 34)}`
          : `${rng.string(ID_ALPHABET, 1, 33)} ${rng.string(NAME_ALPHABET, 1, 33)} ${rng.bool(0.8) ? rng.pick(STATUS_WORD_LIST) : "ok"}`;
        parts.push(
          asBuffer(
            encodeFrame(
              Buffer.concat([
                Buffer.from(head, "latin1"),
                rng.bool() ? Buffer.from(rng.pick(["\r", "\n", "\r\n"]), "latin1") : Buffer.alloc(0),
                rng.bytes(rng.int(0, 30)),
              ]),
            ),
          ),
        );
        break;
      }
      default:
        parts.push(Buffer.from(rng.string("0123456789\n\r-+ ", 0, 20), "latin1"));
    }
  }
  return Buffer.concat(parts);
}

/** Invariants for any input: no throw (the caller would fail), an error or full accounting, and sane results. */
function checkGarbageOutcome<T>(got: Pipeline<T>, total: number, ctx: string, stats: Stats): void {
  if (got.frameError) {
    assert.ok(got.frameError instanceof ProtocolError, ctx);
    assert.ok(got.frameError.status === "BADPACKET" || got.frameError.status === "TOOLARGE", ctx);
    assert.equal(got.frames.mode, FrameParserMode.Error, ctx);
    stats.frameErrors++;
  } else if (got.greetingError) {
    assert.ok(got.greetingError instanceof ProtocolError, ctx);
    assert.equal(got.greetingMode, GreetingMode.Error, ctx);
    stats.greetingErrors++;
  } else {
    assert.equal(got.accounted, total, `${ctx}: every byte must be consumed or buffered`);
    stats.clean++;
  }
  for (const p of got.packets) {
    if (p.ok) stats.goodPackets++;
    else assert.equal(p.error.status, "BADPACKET", ctx);
  }
}

interface Stats {
  clean: number;
  greetingErrors: number;
  frameErrors: number;
  goodPackets: number;
}

/** Guards against a vacuous property test: the garbage must reach every outcome. */
function assertCoverage(stats: Stats): void {
  assert.ok(
    stats.clean > 0 && stats.greetingErrors > 0 && stats.frameErrors > 0 && stats.goodPackets > 0,
    JSON.stringify(stats),
  );
}

describe("garbage never throws or stalls", { timeout: 120_000 }, () => {
  test(`${SEQUENCES} garbage streams into the server pipeline`, () => {
    const stats: Stats = { clean: 0, greetingErrors: 0, frameErrors: 0, goodPackets: 0 };
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const rng = new Rng(1_000_000 + seed);
      const max = rng.pick([1, 16, 100, 1000, 1_048_576]);
      // Half of the streams start with a valid greeting so the garbage reaches the frame parser.
      const prefix = rng.bool() ? asBuffer(encodeClientGreeting(rng.bool() ? [] : ["trivergia"])) : Buffer.alloc(0);
      const stream = Buffer.concat([prefix, garbage(rng, max)]);
      const ctx = `seed ${seed}`;
      const got = runPipeline(new GreetingParser(), decodeRequest, randomChunks(stream, rng), max);
      checkGarbageOutcome(got, stream.length, ctx, stats);
      for (const p of got.packets) {
        if (!p.ok) continue;
        // Argument helpers must not throw on hostile args either.
        splitFields(p.value.args);
        splitFields(p.value.args, rng.int(1, 4));
        const count = rng.int(1, 4);
        splitWithTrailingData(p.value.args, count, rng.int(0, count - 1));
      }
    }
    assertCoverage(stats);
  });

  test(`${SEQUENCES} garbage streams into the client pipeline`, () => {
    const stats: Stats = { clean: 0, greetingErrors: 0, frameErrors: 0, goodPackets: 0 };
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const rng = new Rng(2_000_000 + seed);
      const max = rng.pick([1, 16, 100, 1000]);
      const prefix = rng.bool() ? Buffer.concat([SERVER_GREETING, SYNC_BYTE]) : Buffer.alloc(0);
      const stream = Buffer.concat([prefix, garbage(rng, max)]);
      const got = runPipeline(new ServerGreetingParser(), decodeServerPacket, randomChunks(stream, rng), max);
      checkGarbageOutcome(got, stream.length, `seed ${seed}`, stats);
    }
    assertCoverage(stats);
  });

  test(`${SEQUENCES} garbage streams straight into a frame parser (the WebSocket-less path)`, () => {
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const rng = new Rng(3_000_000 + seed);
      const max = rng.pick([1, 16, 100, 1000]);
      const stream = garbage(rng, max);
      const parser = new FrameParser({ maxPacketBytes: max });
      let consumed = 0;
      let error: ProtocolError | null = null;
      for (const chunk of randomChunks(stream, rng)) {
        const r = parser.push(chunk);
        for (const f of r.frames) {
          assert.ok(f.length >= 1 && f.length <= max, `seed ${seed}`);
          consumed += 4 + f.length;
          decodeRequest(f);
          decodeServerPacket(f);
        }
        if (r.error) {
          error = r.error;
          break;
        }
      }
      if (error) assert.ok(error.status === "BADPACKET" || error.status === "TOOLARGE", `seed ${seed}`);
      else assert.equal(consumed + parser.bufferedBytes, stream.length, `seed ${seed}`);
      assert.ok(parser.bufferedBytes <= 4 + max, `seed ${seed}`);
    }
  });
});
