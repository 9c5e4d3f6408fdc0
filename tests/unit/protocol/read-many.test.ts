// The readmessages reply codec (lib/protocol/read-many.ts): round trip, and malformed data is a
// BADPACKET result, never a throw.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeReadMany, encodeReadMany, type ReadManyEntry } from "../../../lib/protocol/read-many.ts";

const entry: fc.Arbitrary<ReadManyEntry> = fc.oneof(
  fc.record({
    status: fc.constant("OK" as const),
    size: fc.bigInt({ min: 0n, max: 1n << 40n }),
    data: fc.uint8Array({ maxLength: 64 }),
  }),
  fc.record({
    status: fc.constantFrom("NOSUCHMESSAGE" as const, "BUSY" as const),
    reason: fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, " ")),
  }),
);

test("encode then decode gives the entries back", () => {
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 20 }), (entries) => {
      const r = decodeReadMany(encodeReadMany(entries), entries.length);
      assert.ok(r.ok);
      assert.deepEqual(
        r.value.map((e) => (e.status === "OK" ? { ...e, data: Buffer.from(e.data) } : { ...e })),
        // (fast-check's records have no prototype)
        entries.map((e) => (e.status === "OK" ? { ...e, data: Buffer.from(e.data) } : { ...e })),
      );
    }),
    { seed: 42 },
  );
});

test("truncated, padded or garbled data is BADPACKET", () => {
  const good = encodeReadMany([{ status: "OK", size: 5n, data: Buffer.from("hello") }]);
  for (const [bytes, n] of [
    [good.subarray(0, good.length - 1), 1],
    [Buffer.concat([good, Buffer.from("x")]), 1],
    [good, 2],
    [Buffer.from("OK five 5\nhello"), 1],
    [Buffer.from("WHATEVER x\n"), 1],
  ] as const) {
    const r = decodeReadMany(bytes, n);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.status, "BADPACKET");
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(5), (bytes, n) => {
      decodeReadMany(bytes, n); // never throws
    }),
    { seed: 7 },
  );
});
