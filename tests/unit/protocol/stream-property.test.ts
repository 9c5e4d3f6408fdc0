// Property tests (fast-check): random packet sequences survive encoding into one stream
// (greeting, sync, frames) and decoding from arbitrary chunkings; random garbage never makes the
// parsers throw or stall. Deterministic: runs use a fixed seed, and a failure is shrunk to a
// small counterexample that fast-check prints with the seed and path to replay it.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
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
  encodeClientGreeting as encodeClientGreetingBytes,
  encodeFrame as encodeFrameBytes,
  encodeRequest as encodeRequestBytes,
  encodeReply as encodeReplyBytes,
  encodeNotification as encodeNotificationBytes,
  decodeRequest,
  decodeServerPacket,
  splitFields,
  splitWithTrailingData,
  joinFieldsWithTrailingData as joinFieldsWithTrailingDataBytes,
  type Result,
} from "../../../lib/protocol/index.ts";
import { asBuffer } from "../../../lib/protocol/node-bytes.ts";

// The codec returns Uint8Array (it runs in the browser too); these tests compare Buffers.
const encodeFrame = (...a: Parameters<typeof encodeFrameBytes>) => asBuffer(encodeFrameBytes(...a));
const encodeReply = (...a: Parameters<typeof encodeReplyBytes>) => asBuffer(encodeReplyBytes(...a));
const encodeNotification = (...a: Parameters<typeof encodeNotificationBytes>) =>
  asBuffer(encodeNotificationBytes(...a));
const encodeRequest = (...a: Parameters<typeof encodeRequestBytes>) => asBuffer(encodeRequestBytes(...a));
const encodeClientGreeting = (...a: Parameters<typeof encodeClientGreetingBytes>) =>
  asBuffer(encodeClientGreetingBytes(...a));
const joinFieldsWithTrailingData = (...a: Parameters<typeof joinFieldsWithTrailingDataBytes>) =>
  asBuffer(joinFieldsWithTrailingDataBytes(...a));

const SEQUENCES = 500;
/** Fixed so CI runs are reproducible; fast-check reports the seed and path of any failure. */
const params = (seed: number): fc.Parameters<unknown> => ({ numRuns: SEQUENCES, seed, endOnFailure: false });
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
  decode: (payload: Uint8Array) => Result<T>,
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

const chars = (alphabet: string) => fc.constantFrom(...Array.from(alphabet));
const str = (alphabet: string, minLength: number, maxLength: number) =>
  fc.string({ unit: chars(alphabet), minLength, maxLength });
const text = (max: number) => str(TEXT_ALPHABET, 0, max);
const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));
// Ids of the form p<digits>uid<digits> are the pushes' (the original server's), never a client's.
const idArb = str(ID_ALPHABET, 1, 32).filter((id) => !/^p[0-9]+uid[0-9]+$/.test(id));
const nameArb = str(NAME_ALPHABET, 1, 32);

/** Cut points for a stream: 1-byte, small, large or mixed chunks (mixed includes empty ones). */
const chunking = fc.record({
  style: fc.integer({ min: 0, max: 3 }),
  sizes: fc.array(fc.integer({ min: 0, max: 4095 }), { minLength: 1, maxLength: 64 }),
});
type Chunking = { style: number; sizes: number[] };

function cut(buf: Buffer, c: Chunking): Buffer[] {
  const chunks: Buffer[] = [];
  let i = 0;
  let k = 0;
  while (i < buf.length) {
    const r = c.sizes[k++ % c.sizes.length]!;
    const size = c.style === 0 ? 1 : c.style === 1 ? 1 + (r % 16) : c.style === 2 ? 1 + r : r % 10 < 3 ? 1 : r % 701;
    chunks.push(buf.subarray(i, i + size));
    i += size;
  }
  return chunks;
}

interface RandomRequest {
  id: string;
  command: string;
  args: Buffer | string[] | undefined;
  expectArgs: Buffer;
  /** For trailing-data args: how to split them back, and what to expect. */
  trailing?: { fieldCount: number; lengthIndex: number; fields: string[]; data: Buffer };
}

const requestArb: fc.Arbitrary<RandomRequest> = fc
  .record({
    id: idArb,
    command: nameArb,
    args: fc.oneof(
      fc.constant({ kind: "none" as const }),
      fc.record({ kind: fc.constant("fields" as const), fields: fc.array(text(40), { maxLength: 6 }) }),
      // Binary, biased towards the bytes that matter to the parsers.
      fc.record({
        kind: fc.constant("binary" as const),
        data: fc.oneof(
          bytes(0, 4096),
          fc.array(fc.constantFrom(0, 10, 13, 0x63, 0x20, 0xff), { maxLength: 64 }).map((a) => Buffer.from(a)),
        ),
      }),
      fc
        .record({
          kind: fc.constant("trailing" as const),
          data: bytes(0, 3000),
          fieldCount: fc.integer({ min: 1, max: 4 }),
          lengthIndex: fc.nat(),
          texts: fc.array(text(20), { minLength: 4, maxLength: 4 }),
        })
        .map((t) => ({ ...t, lengthIndex: t.lengthIndex % t.fieldCount })),
    ),
  })
  .map(({ id, command, args }): RandomRequest => {
    const base = { id, command };
    switch (args.kind) {
      case "none":
        return { ...base, args: undefined, expectArgs: Buffer.alloc(0) };
      case "fields":
        return { ...base, args: args.fields, expectArgs: Buffer.from(args.fields.join("\n"), "utf8") };
      case "binary":
        return { ...base, args: args.data, expectArgs: args.data };
      default: {
        const fields = args.texts
          .slice(0, args.fieldCount)
          .map((t, i) => (i === args.lengthIndex ? String(args.data.length) : t));
        const joined = joinFieldsWithTrailingData(fields, args.data);
        return {
          ...base,
          args: joined,
          expectArgs: joined,
          trailing: { fieldCount: args.fieldCount, lengthIndex: args.lengthIndex, fields, data: args.data },
        };
      }
    }
  });

describe("round trips through one stream at random chunkings", { timeout: 120_000 }, () => {
  test(`${SEQUENCES} client->server sequences`, () => {
    fc.assert(
      fc.property(
        fc.array(str(NAME_ALPHABET, 1, 20), { maxLength: 3 }),
        fc.array(requestArb, { minLength: 1, maxLength: 8 }),
        chunking,
        (words, requests, chunks) => {
          const stream = Buffer.concat([
            encodeClientGreeting(words),
            ...requests.map((r) => encodeFrame(encodeRequest(r.id, r.command, r.args))),
          ]);
          const got = runPipeline(new GreetingParser(), decodeRequest, cut(stream, chunks));
          assert.equal(got.greetingError, null);
          assert.equal(got.frameError, null);
          assert.deepEqual(got.words, words);
          assert.equal(got.packets.length, requests.length);
          assert.equal(got.accounted, stream.length);
          assert.equal(got.frames.bufferedBytes, 0);
          requests.forEach((want, i) => {
            const pkt = expectOk(got.packets[i]!, `packet ${i}`);
            assert.equal(pkt.id, want.id);
            assert.equal(pkt.command, want.command.toLowerCase());
            assert.ok(asBuffer(pkt.args).equals(want.expectArgs), `packet ${i} args`);
            if (Array.isArray(want.args) && want.args.length > 0) {
              assert.deepEqual(expectOk(splitFields(pkt.args), "fields"), want.args);
            }
            if (want.trailing) {
              const t = want.trailing;
              const split = expectOk(splitWithTrailingData(pkt.args, t.fieldCount, t.lengthIndex), "trailing");
              assert.deepEqual(split.fields, t.fields);
              assert.ok(asBuffer(split.data).equals(t.data), "trailing data");
            }
          });
        },
      ),
      params(1),
    );
  });

  test(`${SEQUENCES} server->client sequences`, () => {
    type Want =
      | { kind: "reply"; id: string; command: string; status: string; data: Buffer }
      | { kind: "notification"; event: string; status: string; data: Buffer };
    const data = fc.oneof(
      bytes(0, 2000),
      text(60).map((t) => Buffer.from(t, "utf8")),
    );
    const packet: fc.Arbitrary<{ want: Want; payload: Buffer }> = fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .record({
            event: fc.constantFrom(...NOTIFICATION_EVENTS),
            status: fc.constantFrom(...STATUS_WORD_LIST),
            data,
          })
          .map(({ event, status, data }) => ({
            want: { kind: "notification" as const, event, status, data },
            payload: encodeNotification(event, data, status),
          })),
      },
      {
        weight: 7,
        arbitrary: fc
          .record({ id: idArb, command: nameArb, status: fc.constantFrom(...STATUS_WORD_LIST), data })
          .map(({ id, command, status, data }) => ({
            want: { kind: "reply" as const, id, command: command.toLowerCase(), status, data },
            payload: encodeReply(id, command, status, data),
          })),
      },
    );
    fc.assert(
      fc.property(fc.array(packet, { minLength: 1, maxLength: 8 }), chunking, (packets, chunks) => {
        const stream = Buffer.concat([SERVER_GREETING, SYNC_BYTE, ...packets.map((p) => encodeFrame(p.payload))]);
        const got = runPipeline(new ServerGreetingParser(), decodeServerPacket, cut(stream, chunks));
        assert.equal(got.greetingError, null);
        assert.equal(got.frameError, null);
        assert.equal(got.accounted, stream.length);
        assert.deepEqual(
          got.packets.map((p) => expectOk(p, "packet")),
          packets.map((p) => p.want),
        );
      }),
      params(7919),
    );
  });
});

/** Garbage with structure: random bytes, plausible frame headers, newlines, greeting fragments. */
function garbage(maxPacketBytes: number): fc.Arbitrary<Buffer> {
  const latin1 = (a: fc.Arbitrary<string>) => a.map((t) => Buffer.from(t, "latin1"));
  const header = fc
    .oneof(
      { weight: 1, arbitrary: fc.constantFrom(0, maxPacketBytes + 1, 0xffffffff) },
      { weight: 9, arbitrary: fc.integer({ min: 1, max: Math.min(maxPacketBytes, 200) }) },
    )
    .map((n) => {
      const h = Buffer.alloc(4);
      h.writeUInt32BE(n, 0);
      return h;
    });
  // Reply- or notification-shaped, sometimes with a bad status word.
  const replyish = fc
    .tuple(
      fc.oneof(
        { weight: 3, arbitrary: str(NAME_ALPHABET, 0, 34).map((n) => `* ${n}`) },
        {
          weight: 7,
          arbitrary: fc
            .tuple(
              str(ID_ALPHABET, 1, 33),
              str(NAME_ALPHABET, 1, 33),
              fc.oneof(
                { weight: 8, arbitrary: fc.constantFrom(...STATUS_WORD_LIST) },
                { weight: 2, arbitrary: fc.constant("ok") },
              ),
            )
            .map(([id, cmd, status]) => `${id} ${cmd} ${status}`),
        },
      ),
      fc.constantFrom("", "\r", "\n", "\r\n"),
      bytes(0, 30),
    )
    .map(([head, nl, tail]) => encodeFrame(Buffer.concat([Buffer.from(head + nl, "latin1"), tail])));
  const part = fc.oneof(
    bytes(0, 300),
    header,
    latin1(fc.constantFrom("\r", "\n", "\r\n", "c", " ", "*")),
    latin1(fc.constantFrom("OpenGroove", "opengroove x", "GET / HTTP/1.1", "OpenGrooveServer")),
    fc
      .tuple(str(ID_ALPHABET, 0, 34), str(NAME_ALPHABET + " ", 0, 34))
      .map(([id, cmd]) => encodeFrame(Buffer.from(`${id} ${cmd}\n`, "latin1"))),
    replyish,
    latin1(str("0123456789\n\r-+ ", 0, 20)),
  );
  return fc.array(part, { maxLength: 12 }).map((parts) => Buffer.concat(parts));
}

/** A packet size limit, then garbage for it. */
const limitAndGarbage = (limits: number[]) =>
  fc.constantFrom(...limits).chain((max) => fc.tuple(fc.constant(max), garbage(max)));

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
    fc.assert(
      fc.property(
        limitAndGarbage([1, 16, 100, 1000, 1_048_576]),
        // Half of the streams start with a valid greeting so the garbage reaches the frame parser.
        fc.constantFrom<string[] | null>(null, [], ["trivergia"]),
        chunking,
        fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
        ([max, junk], greetingWords, chunks, picks) => {
          const prefix = greetingWords ? encodeClientGreeting(greetingWords) : Buffer.alloc(0);
          const stream = Buffer.concat([prefix, junk]);
          const got = runPipeline(new GreetingParser(), decodeRequest, cut(stream, chunks), max);
          checkGarbageOutcome(got, stream.length, "server pipeline", stats);
          for (const p of got.packets) {
            if (!p.ok) continue;
            // Argument helpers must not throw on hostile args either.
            splitFields(p.value.args);
            splitFields(p.value.args, 1 + (picks[0]! % 4));
            const count = 1 + (picks[1]! % 4);
            splitWithTrailingData(p.value.args, count, picks[2]! % count);
          }
        },
      ),
      params(1_000_000),
    );
    assertCoverage(stats);
  });

  test(`${SEQUENCES} garbage streams into the client pipeline`, () => {
    const stats: Stats = { clean: 0, greetingErrors: 0, frameErrors: 0, goodPackets: 0 };
    fc.assert(
      fc.property(limitAndGarbage([1, 16, 100, 1000]), fc.boolean(), chunking, ([max, junk], greeted, chunks) => {
        const prefix = greeted ? Buffer.concat([SERVER_GREETING, SYNC_BYTE]) : Buffer.alloc(0);
        const stream = Buffer.concat([prefix, junk]);
        const got = runPipeline(new ServerGreetingParser(), decodeServerPacket, cut(stream, chunks), max);
        checkGarbageOutcome(got, stream.length, "client pipeline", stats);
      }),
      params(2_000_000),
    );
    assertCoverage(stats);
  });

  test(`${SEQUENCES} garbage streams straight into a frame parser (the WebSocket-less path)`, () => {
    fc.assert(
      fc.property(limitAndGarbage([1, 16, 100, 1000]), chunking, ([max, stream], chunks) => {
        const parser = new FrameParser({ maxPacketBytes: max });
        let consumed = 0;
        let error: ProtocolError | null = null;
        for (const chunk of cut(stream, chunks)) {
          const r = parser.push(chunk);
          for (const f of r.frames) {
            assert.ok(f.length >= 1 && f.length <= max);
            consumed += 4 + f.length;
            decodeRequest(f);
            decodeServerPacket(f);
          }
          if (r.error) {
            error = r.error;
            break;
          }
        }
        if (error) assert.ok(error.status === "BADPACKET" || error.status === "TOOLARGE");
        else assert.equal(consumed + parser.bufferedBytes, stream.length);
        assert.ok(parser.bufferedBytes <= 4 + max);
      }),
      params(3_000_000),
    );
  });
});
