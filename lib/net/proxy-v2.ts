// PROXY protocol version 2 (HAProxy's binary header, https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt):
// a TCP balancer prepends the client's real address to the connection, before any TLS byte.
// The parser returns a result for any input (never throws): "incomplete" while the header may
// still arrive, "ok" with the header's length and addresses, or "error" with a reason.
import net from "node:net";

export const PROXY_V2_SIGNATURE = Uint8Array.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
/** Signature, version/command, family/transport, length. */
export const PROXY_V2_FIXED_BYTES = 16;
/** The largest header accepted (addresses plus TLVs such as HAProxy's unique id or SSL info). */
export const PROXY_V2_MAX_BYTES = 1024;

export interface ProxyEndpoint {
  address: string;
  port: number;
}

export type ProxyHeader =
  /** LOCAL: the balancer's own connection (a health check); use the socket's address. */
  | { command: "local" }
  /** PROXY: `source` is the real client, absent for families without addresses (UNSPEC, UNIX). */
  | { command: "proxy"; source?: ProxyEndpoint; destination?: ProxyEndpoint };

export type ProxyParse =
  { kind: "incomplete" } | { kind: "ok"; header: ProxyHeader; length: number } | { kind: "error"; reason: string };

const V1_PREFIX = Uint8Array.from(Buffer.from("PROXY ", "latin1"));

function ipv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  // RFC 5952: the longest run (2+) of zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

export function parseProxyV2(input: Uint8Array, maxBytes = PROXY_V2_MAX_BYTES): ProxyParse {
  const n = Math.min(input.length, PROXY_V2_SIGNATURE.length);
  for (let i = 0; i < n; i++) {
    if (input[i] === PROXY_V2_SIGNATURE[i]) continue;
    const v1 = input.length >= 1 && V1_PREFIX.slice(0, Math.min(input.length, 6)).every((b, k) => input[k] === b);
    return {
      kind: "error",
      reason: v1 ? "PROXY protocol v1 (text) is not accepted; use v2" : "no PROXY protocol v2 signature",
    };
  }
  if (input.length < PROXY_V2_FIXED_BYTES) return { kind: "incomplete" };
  const version = input[12] >> 4;
  const command = input[12] & 0x0f;
  if (version !== 2) return { kind: "error", reason: `PROXY protocol version ${version} is not supported` };
  if (command > 1) return { kind: "error", reason: `unknown PROXY protocol command ${command}` };
  const family = input[13] >> 4;
  const transport = input[13] & 0x0f;
  const length = PROXY_V2_FIXED_BYTES + ((input[14] << 8) | input[15]);
  if (length > maxBytes) return { kind: "error", reason: `PROXY header of ${length} bytes (limit ${maxBytes})` };
  if (family > 3 || transport > 2)
    return { kind: "error", reason: `unknown address family/transport 0x${input[13].toString(16)}` };
  if (input.length < length) return { kind: "incomplete" };
  if (command === 0) return { kind: "ok", header: { command: "local" }, length };
  const body = input.subarray(PROXY_V2_FIXED_BYTES, length);
  const port = (o: number) => (body[o] << 8) | body[o + 1];
  // Only TCP over IPv4/IPv6 carries an address we use; other families keep the socket's.
  if (transport !== 1 || (family !== 1 && family !== 2)) return { kind: "ok", header: { command: "proxy" }, length };
  const size = family === 1 ? 4 : 16;
  if (body.length < 2 * size + 4)
    return { kind: "error", reason: `PROXY address block of ${body.length} bytes is too short` };
  const addr = (o: number) =>
    family === 1 ? Array.from(body.subarray(o, o + 4)).join(".") : ipv6(body.subarray(o, o + 16));
  return {
    kind: "ok",
    header: {
      command: "proxy",
      source: { address: addr(0), port: port(2 * size) },
      destination: { address: addr(size), port: port(2 * size + 2) },
    },
    length,
  };
}

/** The header a balancer would send (tests, tools): TCP over the source's address family, optional TLV bytes. */
export function encodeProxyV2(
  h: { command: "local" } | { command: "proxy"; source: ProxyEndpoint; destination: ProxyEndpoint },
  tlvs: Uint8Array = new Uint8Array(0),
): Uint8Array {
  let body = new Uint8Array(0);
  let famByte = 0x00;
  if (h.command === "proxy") {
    const v6 = net.isIPv6(h.source.address);
    const v4 = (a: string) => a.split(".").map(Number);
    // One family for both ends: an IPv4 end of an IPv6 header is written IPv4-mapped (::ffff:a.b.c.d).
    const bytes = (a: string) =>
      !v6
        ? Uint8Array.from(v4(a))
        : net.isIPv4(a)
          ? Uint8Array.from([...Array<number>(10).fill(0), 255, 255, ...v4(a)])
          : ipv6Bytes(a);
    const ports = Uint8Array.from([
      h.source.port >> 8,
      h.source.port & 255,
      h.destination.port >> 8,
      h.destination.port & 255,
    ]);
    body = Uint8Array.from([...bytes(h.source.address), ...bytes(h.destination.address), ...ports]);
    famByte = v6 ? 0x21 : 0x11;
  }
  const len = body.length + tlvs.length;
  return Uint8Array.from([
    ...PROXY_V2_SIGNATURE,
    h.command === "proxy" ? 0x21 : 0x20,
    famByte,
    len >> 8,
    len & 255,
    ...body,
    ...tlvs,
  ]);
}

function ipv6Bytes(a: string): Uint8Array {
  const [head, tail] = a.includes("::") ? a.split("::") : [a, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return Uint8Array.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]));
}
