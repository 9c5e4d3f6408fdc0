// fast-check arbitraries for the fuzzing cases: client byte streams built with the protocol's
// own codec (lib/protocol: encodeRequest, encodeFrame, joinFieldsWithTrailingData), so they
// follow any change of the wire format, then damaged in every way a hostile or broken peer
// could: byte flips, insertions, cuts, wrong length prefixes, raw noise, control characters and
// NUL in text fields, invalid UTF-8, huge numbers, every command in every state.
import fc from "fast-check";
import {
  encodeFrame,
  encodeRequest,
  joinFieldsWithTrailingData,
  utf8Bytes,
  PROTOCOL_LIMITS,
} from "../lib/protocol/index.ts";
import { COMMANDS } from "../realm-daemon/commands/index.ts";
import { hostileField } from "../tests/helpers/hostile.ts";

// Every command but `quit`, which would only end the connection early.
const NAMES = [...COMMANDS.keys()].filter((n) => n !== "quit");

/** Text fields as hostile clients write them (shared with the property tests). */
const field = hostileField;

const packetId = fc.stringMatching(/^[A-Za-z0-9_.-]{1,32}$/);
const command = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, fc.stringMatching(/^[a-z0-9]{1,32}$/));

/** A request payload made by the codec: text fields, or fields plus trailing binary data, or raw bytes. */
const request = fc
  .tuple(
    packetId,
    command,
    fc.oneof(
      // Joined here, not by the codec (which refuses a field holding a newline): a newline
      // inside a field just makes more fields, as it would from a careless client.
      fc.array(field, { maxLength: 8 }).map((f) => utf8Bytes(f.join("\n"))),
      fc
        .tuple(fc.array(field, { maxLength: 5 }), fc.uint8Array({ maxLength: 600 }))
        .map(([f, d]) => joinFieldsWithTrailingData([...f.map((x) => x.replace(/[\r\n]/g, "")), String(d.length)], d)),
      fc.uint8Array({ maxLength: 300 }),
    ),
  )
  .map(([id, cmd, args]) => encodeRequest(id, cmd, args));

/** Damage applied to a payload or a whole frame. */
type Mutation = { at: number; kind: "flip" | "set" | "insert" | "delete" | "cut"; byte: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("flip", "set", "insert", "delete", "cut"),
  byte: fc.integer({ min: 0, max: 255 }),
});

function mutate(bytes: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = Array.from(bytes);
  for (const m of ms) {
    const at = b.length ? m.at % (b.length + (m.kind === "insert" ? 1 : 0)) : 0;
    if (m.kind === "insert") b.splice(at, 0, m.byte);
    else if (!b.length) continue;
    else if (m.kind === "flip") b[at] ^= 1 << (m.byte % 8);
    else if (m.kind === "set") b[at] = m.byte;
    else if (m.kind === "delete") b.splice(at, 1);
    else b = b.slice(0, at);
  }
  return Uint8Array.from(b);
}

/** A 4-byte big-endian length prefix of any value (0, over the maximum, off by a little, anything). */
function prefix(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A well-formed packet (valid id and command syntax) with fuzzed arguments: reaches the handlers. */
export const wellFormed: fc.Arbitrary<Uint8Array> = request.map((p) => encodeFrame(p));

/** Well framed, payload damaged (often an undecodable packet, which closes the connection). */
export const damagedPayload: fc.Arbitrary<Uint8Array> = fc
  .tuple(request, fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([p, ms]) => mutate(p, ms))
  .filter((p) => p.length > 0)
  .map((p) => encodeFrame(p));

export const wellFramed: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 2, arbitrary: wellFormed },
  { weight: 1, arbitrary: damagedPayload },
);

/** Damaged framing: the whole frame mutated, a length prefix that lies, or noise. */
export const badlyFramed: fc.Arbitrary<Uint8Array> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc
      .tuple(request, fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([p, ms]) => mutate(encodeFrame(p), ms)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        request,
        fc.oneof(
          fc.constant(0),
          fc.constant(PROTOCOL_LIMITS.defaultMaxPacketBytes + 1),
          fc.constant(0xffffffff),
          fc.integer({ min: -3, max: 3 }),
          fc.nat(),
        ),
      )
      .map(([p, d]) => concat([prefix(d > 3 || d === 0 ? d : p.length + d), p])),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }) },
);

/** The bytes of one fuzzed frame as a client would put them on a stream (after the greeting). */
export const frameBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: wellFramed },
  { weight: 1, arbitrary: badlyFramed },
);

/** A frame plus where the stream is split into chunks (TCP delivers any split). */
export const chunkedFrame = fc.tuple(frameBytes, fc.array(fc.nat(), { maxLength: 4 })).map(([bytes, cuts]) => {
  const points = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    if (p > last) chunks.push(bytes.subarray(last, p));
    last = p;
  }
  return { bytes, chunks };
});
