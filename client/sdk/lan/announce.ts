// LAN presence announcements (docs/clients.md §5, format OGA1 version 1): what a computer
// multicasts on 63749/UDP so the computers of the same LAN find it. Pure functions: encoding,
// parsing (results, never throws on bad input), the replay guard. The socket is discovery.ts.
import net from "node:net";
import { randomBytes } from "@noble/hashes/utils.js";
import { hasControlCharacter } from "../../../lib/protocol/index.ts";
import { concat, equalBytes, fromBase64Url, toBase64Url, utf8 } from "../crypto/bytes.ts";
import { fingerprint, sign, verify, type ComputerKeys, type PublicComputerKeys } from "../crypto/keys-core.ts";

/** Organization-local scope (RFC 2365), never routed off the site; TTL 1 keeps it on the LAN. */
export const LAN_MULTICAST_GROUP = "239.255.63.49";
export const LAN_DISCOVERY_PORT = 63749;
export const LAN_DIRECT_PORT = 63748;

export const ANNOUNCE_MAGIC = utf8("OGA1");
/** Fits one Ethernet frame with room to spare: no IP fragmentation. */
export const MAX_ANNOUNCE_BYTES = 1200;
const SIG_BYTES = 64;
const SIG_LABEL = utf8("opengroove-lan-announce-v1\0");
const MAX_ADDRESSES = 8;

export interface Announcement {
  userId: string;
  computer: string;
  /** Addresses of the announcing computer's direct-link listener (the datagram's source is tried first). */
  addresses: string[];
  /** TCP port of its direct-link listener. */
  port: number;
  keys: PublicComputerKeys;
  /** Key fingerprint (docs/clients.md §1), as 16 groups of 4 hex digits. */
  fingerprint: string;
  /** Sender's clock, ms since the epoch. */
  ts: number;
  /** 16 random bytes, base64url: with ts, defeats replays. */
  nonce: string;
}

export type AnnounceRefusal = "malformed" | "badsignature";

export type ParsedAnnouncement =
  { ok: true; value: Announcement } | { ok: false; reason: AnnounceRefusal; detail: string };

/** The signed datagram: "OGA1" ‖ body (UTF-8 JSON) ‖ Ed25519 signature over label ‖ body. */
export function encodeAnnouncement(
  a: { userId: string; computer: string; addresses: string[]; port: number; ts?: number; nonce?: string },
  keys: ComputerKeys,
): Uint8Array {
  const fp = fingerprint(keys.x25519.publicKey, keys.ed25519.publicKey).replace(/ /g, "");
  const body = utf8(
    JSON.stringify({
      v: 1,
      user: a.userId,
      computer: a.computer,
      addrs: a.addresses.slice(0, MAX_ADDRESSES),
      port: a.port,
      x25519: toBase64Url(keys.x25519.publicKey),
      ed25519: toBase64Url(keys.ed25519.publicKey),
      fp,
      ts: a.ts ?? Date.now(),
      nonce: a.nonce ?? toBase64Url(randomBytes(16)),
    }),
  );
  const out = concat(ANNOUNCE_MAGIC, body, sign(keys, concat(SIG_LABEL, body)));
  if (out.length > MAX_ANNOUNCE_BYTES) throw new RangeError(`announcement of ${out.length} bytes is too large`);
  return out;
}

const bad = (detail: string): ParsedAnnouncement => ({ ok: false, reason: "malformed", detail });

function textField(v: unknown, max: number): string | undefined {
  return typeof v === "string" && v.length > 0 && v.length <= max && !hasControlCharacter(v) && !/\s/.test(v)
    ? v
    : undefined;
}

/**
 * Parses and checks a datagram: layout, field types and sizes, the fingerprint against the keys
 * it carries, and the signature by the Ed25519 key it carries. Whether that key is the one the
 * realm publishes, and freshness, are the receiver's next checks (discovery.ts).
 */
export function parseAnnouncement(datagram: Uint8Array): ParsedAnnouncement {
  if (datagram.length > MAX_ANNOUNCE_BYTES) return bad("too large");
  if (datagram.length < ANNOUNCE_MAGIC.length + SIG_BYTES + 2) return bad("too short");
  if (!equalBytes(datagram.subarray(0, 4), ANNOUNCE_MAGIC)) return bad("not an OGA1 announcement");
  const body = datagram.subarray(4, datagram.length - SIG_BYTES);
  const sig = datagram.subarray(datagram.length - SIG_BYTES);
  let v: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return bad("body is not an object");
    v = parsed as Record<string, unknown>;
  } catch {
    return bad("body is not UTF-8 JSON");
  }
  if (v.v !== 1) return bad(`unknown version ${String(v.v)}`);
  const userId = textField(v.user, 300);
  const computer = textField(v.computer, 100);
  if (!userId || !computer) return bad("bad user or computer");
  const addrs = v.addrs;
  if (
    !Array.isArray(addrs) ||
    addrs.length > MAX_ADDRESSES ||
    !addrs.every((x) => typeof x === "string" && net.isIP(x) !== 0)
  )
    return bad("bad address list");
  const port = v.port;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) return bad("bad port");
  const x = typeof v.x25519 === "string" ? fromBase64Url(v.x25519) : undefined;
  const e = typeof v.ed25519 === "string" ? fromBase64Url(v.ed25519) : undefined;
  if (!x || !e || x.length !== 32 || e.length !== 32) return bad("bad keys");
  const fp = fingerprint(x, e);
  if (v.fp !== fp.replace(/ /g, "")) return bad("fingerprint does not match the keys");
  const ts = v.ts;
  if (typeof ts !== "number" || !Number.isSafeInteger(ts) || ts < 0) return bad("bad timestamp");
  const nonce = typeof v.nonce === "string" ? fromBase64Url(v.nonce) : undefined;
  if (!nonce || nonce.length !== 16) return bad("bad nonce");
  if (!verify(e, concat(SIG_LABEL, body), sig))
    return { ok: false, reason: "badsignature", detail: "signature does not verify with the announced key" };
  return {
    ok: true,
    value: {
      userId,
      computer,
      addresses: addrs as string[],
      port,
      keys: { x25519: x, ed25519: e },
      fingerprint: fp,
      ts,
      nonce: v.nonce as string,
    },
  };
}

/**
 * Freshness and replay: an announcement older or newer than `maxSkewMs` is stale; one whose
 * nonce was seen within the window is a replay. Nonces are forgotten once outside the window,
 * and at most `maxEntries` are kept (the receive rate limit bounds how fast they arrive).
 */
export class ReplayGuard {
  private seen = new Map<string, number>();
  constructor(
    private readonly maxSkewMs = 30_000,
    private readonly maxEntries = 10_000,
  ) {}

  check(a: Pick<Announcement, "userId" | "computer" | "ts" | "nonce">, now = Date.now()): "stale" | "replay" | null {
    if (Math.abs(now - a.ts) > this.maxSkewMs) return "stale";
    for (const [k, exp] of this.seen) {
      if (exp > now && this.seen.size < this.maxEntries) break;
      this.seen.delete(k);
    }
    const key = `${a.userId.toLowerCase()}\0${a.computer}\0${a.nonce}`;
    if (this.seen.has(key)) return "replay";
    this.seen.set(key, now + 2 * this.maxSkewMs);
    return null;
  }
}
