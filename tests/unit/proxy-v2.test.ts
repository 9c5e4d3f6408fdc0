// PROXY protocol v2 parser: property tests (fast-check, fixed seed) over encoded headers with
// random addresses, ports, TLVs and trailing bytes, fed whole or cut short; random bytes never
// throw. Plus the balancer address list (CIDRs, IPv4-mapped peers).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeProxyV2, parseProxyV2, PROXY_V2_SIGNATURE } from "../../lib/net/proxy-v2.ts";
import { AddressList, parseCidr } from "../../lib/net/cidr.ts";

const SEED = 18_0002;
const port = fc.integer({ min: 0, max: 65535 });
const v4 = fc.ipV4();
// fast-check's ipV6 may use the IPv4 tail form; normalise through the parser's own output.
const v6 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
  .map((g) => g.map((x) => x.toString(16)).join(":"));
const endpoint = (addr: fc.Arbitrary<string>) => fc.record({ address: addr, port });
const header = fc.oneof(
  fc.record({ src: endpoint(v4), dst: endpoint(v4) }),
  fc.record({ src: endpoint(v6), dst: endpoint(v6) }),
);
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

function canonical(a: string): string {
  // "0:0:0:0:0:0:0:1" and "::1" are one address: compare through the node URL parser.
  return a.includes(":") ? new URL(`http://[${a}]/`).hostname.slice(1, -1) : a;
}

test("an encoded header parses back to its addresses and length, whatever TLVs and bytes follow", () => {
  fc.assert(
    fc.property(header, bytes(64), bytes(64), ({ src, dst }, tlvs, rest) => {
      const h = encodeProxyV2({ command: "proxy", source: src, destination: dst }, tlvs);
      const r = parseProxyV2(Uint8Array.from([...h, ...rest]));
      assert.equal(r.kind, "ok");
      if (r.kind !== "ok" || r.header.command !== "proxy") return;
      assert.equal(r.length, h.length);
      assert.equal(canonical(r.header.source!.address), canonical(src.address));
      assert.equal(r.header.source!.port, src.port);
      assert.equal(canonical(r.header.destination!.address), canonical(dst.address));
      assert.equal(r.header.destination!.port, dst.port);
    }),
    { seed: SEED, numRuns: 300 },
  );
});

test("every strict prefix of a header is incomplete (the parser waits, never guesses)", () => {
  fc.assert(
    fc.property(header, bytes(32), fc.nat(), ({ src, dst }, tlvs, cut) => {
      const h = encodeProxyV2({ command: "proxy", source: src, destination: dst }, tlvs);
      assert.deepEqual(parseProxyV2(h.subarray(0, cut % h.length)), { kind: "incomplete" });
    }),
    { seed: SEED, numRuns: 300 },
  );
});

test("random bytes never throw; anything not starting with the signature is an error", () => {
  fc.assert(
    fc.property(bytes(200), (b) => {
      const r = parseProxyV2(b);
      assert.ok(["incomplete", "ok", "error"].includes(r.kind));
      const prefix = b.subarray(0, Math.min(b.length, 12));
      if (!prefix.every((x, i) => x === PROXY_V2_SIGNATURE[i])) assert.equal(r.kind, "error");
    }),
    { seed: SEED, numRuns: 2000 },
  );
  // After a valid signature, random version/family/length bytes: still a result, never a throw.
  fc.assert(
    fc.property(bytes(80), (b) => {
      const r = parseProxyV2(Uint8Array.from([...PROXY_V2_SIGNATURE, ...b]));
      assert.ok(["incomplete", "ok", "error"].includes(r.kind));
      if (r.kind === "ok") assert.ok(r.length <= 12 + b.length);
    }),
    { seed: SEED, numRuns: 2000 },
  );
});

test("LOCAL, v1 text, bad version, bad command, oversized and short address blocks", () => {
  assert.deepEqual(parseProxyV2(encodeProxyV2({ command: "local" })), {
    kind: "ok",
    header: { command: "local" },
    length: 16,
  });
  assert.match(
    (parseProxyV2(Buffer.from("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n")) as { reason: string }).reason,
    /v1 .* not accepted/,
  );
  const good = encodeProxyV2({
    command: "proxy",
    source: { address: "203.0.113.7", port: 40000 },
    destination: { address: "10.0.0.1", port: 63745 },
  });
  const with13 = (b: number, at = 12) => Uint8Array.from(good.map((x, i) => (i === at ? b : x)));
  assert.match((parseProxyV2(with13(0x11)) as { reason: string }).reason, /version 1/);
  assert.match((parseProxyV2(with13(0x22)) as { reason: string }).reason, /unknown PROXY protocol command 2/);
  assert.match((parseProxyV2(with13(0x41, 13)) as { reason: string }).reason, /family/);
  const huge = Uint8Array.from(good.map((x, i) => (i === 14 ? 0xff : x)));
  assert.match((parseProxyV2(huge) as { reason: string }).reason, /limit 1024/);
  const short = Uint8Array.from([...PROXY_V2_SIGNATURE, 0x21, 0x11, 0, 4, 1, 2, 3, 4]);
  assert.match((parseProxyV2(short) as { reason: string }).reason, /too short/);
  // An IPv6 client behind an IPv4 balancer address: the IPv4 end is written IPv4-mapped.
  const mixed = parseProxyV2(
    encodeProxyV2({
      command: "proxy",
      source: { address: "2001:db8::77", port: 1 },
      destination: { address: "127.0.0.1", port: 2 },
    }),
  );
  assert.deepEqual(mixed.kind === "ok" && mixed.header, {
    command: "proxy",
    source: { address: "2001:db8::77", port: 1 },
    destination: { address: "::ffff:7f00:1", port: 2 },
  });
  // UNSPEC family: a PROXY header without an address keeps the socket's.
  assert.deepEqual(parseProxyV2(Uint8Array.from([...PROXY_V2_SIGNATURE, 0x21, 0x00, 0, 0])), {
    kind: "ok",
    header: { command: "proxy" },
    length: 16,
  });
});

test("balancer address lists: addresses, CIDRs, IPv6, IPv4-mapped peers; bad entries refused", () => {
  const l = new AddressList(["10.0.0.0/8", "192.0.2.7", "fd00::/8"]);
  assert.ok(l.has("10.200.3.4"));
  assert.ok(l.has("::ffff:10.1.1.1"));
  assert.ok(l.has("192.0.2.7"));
  assert.ok(!l.has("192.0.2.8"));
  assert.ok(l.has("fd12::1"));
  assert.ok(!l.has("fe80::1"));
  assert.ok(!l.has(undefined));
  assert.ok(!l.has("not an address"));
  for (const bad of ["10.0.0.0/33", "10.0.0/8", "host.example", "::1/129", "1.2.3.4/8/9", "1.2.3.4/x"])
    assert.equal(parseCidr(bad), undefined, bad);
  assert.throws(() => new AddressList(["nope"]), /not an IP address or CIDR: nope/);
});
