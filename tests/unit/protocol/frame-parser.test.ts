import crypto from "node:crypto";
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  FrameParser,
  FrameParserMode,
  encodeFrame as encodeFrameBytes,
  checkPayloadLength,
  PROTOCOL_LIMITS,
  ProtocolError,
} from "../../../lib/protocol/index.ts";
import { asBuffer } from "../../../lib/protocol/node-bytes.ts";

// The codec returns Uint8Array views (it runs in the browser too); these tests compare Buffers.
const encodeFrame = (...a: Parameters<typeof encodeFrameBytes>) => asBuffer(encodeFrameBytes(...a));
import { everySplit, oneByteChunks, copyChunks } from "./helpers.ts";

const b = (s: string) => Buffer.from(s, "latin1");

function header(length: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(length, 0);
  return h;
}

/** Pushes all chunks; returns the payloads (hex) and the error, if any. */
function parseAll(
  chunks: Buffer[],
  parser = new FrameParser(),
): { frames: string[]; error: ProtocolError | null; parser: FrameParser } {
  const frames: string[] = [];
  let error: ProtocolError | null = null;
  for (const chunk of chunks) {
    const r = parser.push(chunk);
    frames.push(...r.frames.map((f) => asBuffer(f).toString("hex")));
    if (r.error) {
      error = r.error;
      break;
    }
  }
  return { frames, error, parser };
}

describe("frames", () => {
  test("encodeFrame writes a big-endian uint32 length", () => {
    assert.deepEqual(encodeFrame(b("abc")), Buffer.from([0, 0, 0, 3, 0x61, 0x62, 0x63]));
    const big = encodeFrame(Buffer.alloc(0x010203));
    assert.deepEqual(big.subarray(0, 4), Buffer.from([0, 1, 2, 3]));
    assert.throws(() => encodeFrame(Buffer.alloc(0)), RangeError);
    assert.throws(() => encodeFrame(Buffer.alloc(11), 10), RangeError);
    assert.throws(() => encodeFrame(Buffer.alloc(PROTOCOL_LIMITS.defaultMaxPacketBytes + 1)), RangeError);
  });

  test("single frame", () => {
    const r = parseAll([encodeFrame(b("1 ping"))]);
    assert.deepEqual(r.frames, [b("1 ping").toString("hex")]);
    assert.equal(r.error, null);
    assert.equal(r.parser.mode, FrameParserMode.Header);
    assert.equal(r.parser.bufferedBytes, 0);
  });

  test("many frames in one chunk", () => {
    const payloads = Array.from({ length: 100 }, (_, i) => b(`${i} cmd\n${"x".repeat(i)}`));
    const r = parseAll([Buffer.concat(payloads.map((p) => encodeFrame(p)))]);
    assert.deepEqual(
      r.frames,
      payloads.map((p) => p.toString("hex")),
    );
  });

  test("three frames split at every boundary, and one byte at a time", () => {
    const payloads = [b("a"), Buffer.from([0, 0, 0, 0, 13, 10]), b("third frame\r\n")];
    const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
    const expected = payloads.map((p) => p.toString("hex"));
    for (const split of everySplit(stream)) {
      const r = parseAll(split.chunks);
      assert.deepEqual(r.frames, expected, split.name);
      assert.equal(r.error, null, split.name);
      assert.equal(r.parser.bufferedBytes, 0, split.name);
    }
  });

  test("bufferedBytes tracks an incomplete frame", () => {
    const p = new FrameParser();
    const f = encodeFrame(b("hello"));
    p.push(f.subarray(0, 2));
    assert.equal(p.bufferedBytes, 2);
    assert.equal(p.mode, FrameParserMode.Header);
    p.push(f.subarray(2, 6));
    assert.equal(p.bufferedBytes, 6);
    assert.equal(p.mode, FrameParserMode.Body);
    const r = p.push(f.subarray(6));
    assert.equal(r.frames.length, 1);
    assert.equal(p.bufferedBytes, 0);
  });

  test("empty chunks are harmless", () => {
    const p = new FrameParser();
    assert.deepEqual(p.push(Buffer.alloc(0)), { frames: [], error: null });
  });

  test("a body collected from many chunks is independent of the chunks", () => {
    const payload = crypto.randomBytes(5000);
    const chunks = copyChunks(oneByteChunks(encodeFrame(payload)));
    const p = new FrameParser();
    const frames = chunks.flatMap((c) => p.push(c).frames.map(asBuffer));
    for (const c of chunks) c.fill(0); // the completed frame must not alias its 1-byte inputs
    assert.deepEqual(frames, [payload]);
  });

  test("a 1 MiB frame in 1-byte chunks", { timeout: 30_000 }, () => {
    const payload = crypto.randomBytes(PROTOCOL_LIMITS.defaultMaxPacketBytes);
    const wire = encodeFrame(payload);
    const p = new FrameParser();
    const frames: Buffer[] = [];
    // Collecting slices and concatenating once keeps this linear; a naive concat-per-chunk
    // would copy ~5e11 bytes here and time out.
    for (let i = 0; i < wire.length; i++) frames.push(...p.push(wire.subarray(i, i + 1)).frames.map(asBuffer));
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.equals(payload));
  });
});

describe("bad lengths", () => {
  test("oversized length is rejected as soon as the 4 header bytes arrive", () => {
    const p = new FrameParser({ maxPacketBytes: 1000 });
    assert.deepEqual(p.push(header(1001).subarray(0, 3)), { frames: [], error: null });
    const r = p.push(header(1001).subarray(3)); // no body byte has been sent
    assert.equal(r.error?.status, "TOOLARGE");
    assert.equal(p.mode, FrameParserMode.Error);
    assert.equal(p.bufferedBytes, 0);
  });

  test("oversized length with body in the same chunk does not buffer the body", () => {
    const p = new FrameParser();
    const r = p.push(Buffer.concat([header(0xffffffff), Buffer.alloc(64 * 1024)]));
    assert.equal(r.error?.status, "TOOLARGE");
    assert.match(r.error?.reason ?? "", /4294967295 bytes exceeds the limit of 1048576/);
    assert.equal(p.bufferedBytes, 0);
  });

  test("exactly maxPacketBytes is accepted, one more is not", () => {
    const ok = parseAll([encodeFrame(Buffer.alloc(1000, 1), 1000)], new FrameParser({ maxPacketBytes: 1000 }));
    assert.equal(ok.frames.length, 1);
    assert.equal(ok.error, null);
    const bad = parseAll([header(1001)], new FrameParser({ maxPacketBytes: 1000 }));
    assert.equal(bad.error?.status, "TOOLARGE");
  });

  test("zero length is BADPACKET, at every split and one byte at a time", () => {
    const good = encodeFrame(b("1 ping"));
    const stream = Buffer.concat([good, header(0), good]);
    for (const split of everySplit(stream)) {
      const r = parseAll(split.chunks);
      assert.deepEqual(r.frames, [b("1 ping").toString("hex")], split.name);
      assert.equal(r.error?.status, "BADPACKET", split.name);
      assert.equal(r.error?.reason, "zero-length packet");
    }
  });

  test("frames before the bad header in the same chunk are still returned", () => {
    const r = new FrameParser().push(Buffer.concat([encodeFrame(b("x")), encodeFrame(b("y")), header(0)]));
    assert.deepEqual(r.frames.map(String), ["x", "y"]);
    assert.equal(r.error?.status, "BADPACKET");
  });

  test("after an error the parser refuses further input", () => {
    const p = new FrameParser();
    const first = p.push(header(0)).error;
    const again = p.push(encodeFrame(b("1 ping")));
    assert.deepEqual(again.frames, []);
    assert.equal(again.error, first);
    assert.equal(p.error, first);
  });

  test("checkPayloadLength", () => {
    assert.equal(checkPayloadLength(1), null);
    assert.equal(checkPayloadLength(PROTOCOL_LIMITS.defaultMaxPacketBytes), null);
    assert.equal(checkPayloadLength(0)?.status, "BADPACKET");
    assert.equal(checkPayloadLength(PROTOCOL_LIMITS.defaultMaxPacketBytes + 1)?.status, "TOOLARGE");
    assert.equal(checkPayloadLength(5, 4)?.status, "TOOLARGE");
  });

  test("maxPacketBytes option is validated", () => {
    for (const bad of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
      assert.throws(() => new FrameParser({ maxPacketBytes: bad }), RangeError, String(bad));
    }
    assert.equal(new FrameParser({ maxPacketBytes: 2 ** 32 - 1 }).maxPacketBytes, 2 ** 32 - 1);
  });
});
