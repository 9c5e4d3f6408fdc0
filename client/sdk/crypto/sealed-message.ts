// The end-to-end encrypted message format, version 1 (docs/clients.md). One implementation for
// Node and the browser (only @noble and Web APIs), streaming both ways: memory stays at one
// 64 KiB chunk whatever the body's size.
//
//   "OGE1" | u32 header length | header (UTF-8 JSON) | frame* | signature (64 bytes)
//   frame  = flag (0 more, 1 final) | u32 ciphertext length | XChaCha20-Poly1305 ciphertext
//
// Every chunk holds at most CHUNK_PLAIN_BYTES of plaintext, encrypted with the message's random
// content key, nonce = header nonce prefix (15 bytes) | final flag | u64 chunk index, and the
// SHA-256 of the header as associated data: chunks cannot be reordered, dropped, truncated or
// moved to another message. The content key is sealed to every recipient computer (X25519 with
// one ephemeral key per message, HKDF-SHA256, XChaCha20-Poly1305). The sending computer's Ed25519
// key signs the SHA-256 of everything before the signature.
import { x25519 } from "@noble/curves/ed25519.js";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { concat, equalBytes, fromBase64Url, toBase64Url, utf8 } from "./bytes.ts";
import { sign, verify, type ComputerKeys, type PublicComputerKeys } from "./keys-core.ts";

export const SEALED_MAGIC = utf8("OGE1");
export const SEALED_TAG = "e2e/1";
export const CHUNK_PLAIN_BYTES = 65_536;
const TAG_BYTES = 16;
const MAX_HEADER_BYTES = 4 * 1024 * 1024;
const SEAL_INFO = utf8("opengroove-seal-v1");
const SIG_LABEL = utf8("opengroove-message-sig-v1\0");

export interface SealedRecipient {
  userId: string;
  computer: string;
  keys: PublicComputerKeys;
}

export interface SealedHeader {
  og: typeof SEALED_TAG;
  id: string;
  from: string;
  computer: string;
  x25519: string;
  ed25519: string;
  epk: string;
  nonce: string;
  to: Array<{ user: string; computer: string; x: string; key: string }>;
}

/** Why a sealed message was refused (tampered, not for us, damaged). */
export class SealedMessageError extends Error {
  constructor(
    readonly code: "NOTFORME" | "BADSIGNATURE" | "TAMPERED" | "BADFORMAT" | "WRONGID",
    message: string,
  ) {
    super(message);
    this.name = "SealedMessageError";
  }
}

export function isSealed(start: Uint8Array): boolean {
  return start.length >= 4 && equalBytes(start.subarray(0, 4), SEALED_MAGIC);
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function chunkNonce(prefix: Uint8Array, index: number, final: boolean): Uint8Array {
  const n = new Uint8Array(24);
  n.set(prefix, 0);
  n[15] = final ? 1 : 0;
  new DataView(n.buffer).setBigUint64(16, BigInt(index));
  return n;
}

function sealKey(contentKey: Uint8Array, ephPriv: Uint8Array, epk: Uint8Array, r: SealedRecipient): string {
  const shared = x25519.getSharedSecret(ephPriv, r.keys.x25519);
  const kek = hkdf(sha256, shared, concat(epk, r.keys.x25519), SEAL_INFO, 32);
  const nonce = randomBytes(24);
  const ct = xchacha20poly1305(kek, nonce, utf8(`${r.userId}\0${r.computer}`)).encrypt(contentKey);
  return toBase64Url(concat(nonce, ct));
}

function openKey(wrapped: Uint8Array, priv: Uint8Array, pub: Uint8Array, epk: Uint8Array, aad: Uint8Array) {
  if (wrapped.length !== 24 + 32 + TAG_BYTES) return undefined;
  try {
    const shared = x25519.getSharedSecret(priv, epk);
    const kek = hkdf(sha256, shared, concat(epk, pub), SEAL_INFO, 32);
    return xchacha20poly1305(kek, wrapped.subarray(0, 24), aad).decrypt(wrapped.subarray(24));
  } catch {
    return undefined;
  }
}

/** Size of the sealed form of a `plainBytes` body with this header (for quota reservation). */
export function sealedSize(headerBytes: number, plainBytes: number): number {
  // Full chunks, then a final one with the rest (empty when the size is a multiple of a chunk).
  const chunks = Math.floor(plainBytes / CHUNK_PLAIN_BYTES) + 1;
  return 8 + headerBytes + chunks * (5 + TAG_BYTES) + plainBytes + 64;
}

/** Re-cuts a byte stream into exact `size` pieces; the last may be shorter (or empty when there is nothing). */
async function* rechunk(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number) {
  let buf = new Uint8Array(size);
  let have = 0;
  for await (const piece of source) {
    let p = piece;
    while (p.length) {
      const take = Math.min(size - have, p.length);
      buf.set(p.subarray(0, take), have);
      have += take;
      p = p.subarray(take);
      if (have === size) {
        yield buf;
        buf = new Uint8Array(size);
        have = 0;
      }
    }
  }
  yield buf.subarray(0, have);
}

export interface SealOptions {
  id: string;
  from: string;
  computer: string;
  keys: ComputerKeys;
  recipients: SealedRecipient[];
}

/**
 * Prepares a sealed message: the header bytes (so the caller knows the final size with
 * `sealedSize`) and `frames(body)`, which yields the header, then each encrypted chunk, then the
 * signature, holding one chunk at a time.
 */
export function sealMessage(opts: SealOptions): {
  headerBytes: number;
  size(plainBytes: number): number;
  frames(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array>;
} {
  if (!opts.recipients.length) throw new Error("a sealed message needs at least one recipient computer");
  const contentKey = randomBytes(32);
  const eph = x25519.utils.randomSecretKey();
  const epk = x25519.getPublicKey(eph);
  const prefix = randomBytes(15);
  const header: SealedHeader = {
    og: SEALED_TAG,
    id: opts.id,
    from: opts.from,
    computer: opts.computer,
    x25519: toBase64Url(opts.keys.x25519.publicKey),
    ed25519: toBase64Url(opts.keys.ed25519.publicKey),
    epk: toBase64Url(epk),
    nonce: toBase64Url(prefix),
    to: opts.recipients.map((r) => ({
      user: r.userId,
      computer: r.computer,
      x: toBase64Url(r.keys.x25519),
      key: sealKey(contentKey, eph, epk, r),
    })),
  };
  const headerJson = utf8(JSON.stringify(header));
  const head = concat(SEALED_MAGIC, u32(headerJson.length), headerJson);
  const aad = sha256(headerJson);
  return {
    headerBytes: headerJson.length,
    size: (plain) => sealedSize(headerJson.length, plain),
    async *frames(body) {
      const transcript = sha256.create().update(SIG_LABEL).update(head);
      yield head;
      // Look one chunk ahead so the last chunk carries the final flag.
      let index = 0;
      let pending: Uint8Array | undefined;
      const emit = (chunk: Uint8Array, final: boolean) => {
        const ct = xchacha20poly1305(contentKey, chunkNonce(prefix, index++, final), aad).encrypt(chunk);
        const frame = concat(new Uint8Array([final ? 1 : 0]), u32(ct.length), ct);
        transcript.update(frame);
        return frame;
      };
      for await (const chunk of rechunk(body, CHUNK_PLAIN_BYTES)) {
        if (pending) yield emit(pending, false);
        pending = chunk;
      }
      yield emit(pending ?? new Uint8Array(0), true);
      yield sign(opts.keys, transcript.digest());
    },
  };
}

/** Buffered reads of exact lengths from a byte stream. */
class Reader {
  private buf: Uint8Array = new Uint8Array(0);
  private done = false;
  private it: AsyncIterator<Uint8Array>;
  constructor(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.it =
      Symbol.asyncIterator in source
        ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
        : (async function* () {
            yield* source as Iterable<Uint8Array>;
          })();
  }
  async take(n: number): Promise<Uint8Array> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = this.buf.length ? concat(this.buf, r.value) : r.value;
    }
    if (this.buf.length < n) throw new SealedMessageError("TAMPERED", "the message is truncated");
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  async atEnd(): Promise<boolean> {
    while (!this.buf.length && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = r.value;
    }
    return !this.buf.length;
  }
}

function parseHeader(json: Uint8Array): SealedHeader {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch {
    throw new SealedMessageError("BADFORMAT", "the encrypted message's header is not valid JSON");
  }
  const h = v as Partial<SealedHeader>;
  const str = (x: unknown) => typeof x === "string";
  if (
    !h ||
    h.og !== SEALED_TAG ||
    ![h.id, h.from, h.computer, h.x25519, h.ed25519, h.epk, h.nonce].every(str) ||
    !Array.isArray(h.to) ||
    !h.to.every((t) => t && str(t.user) && str(t.computer) && str(t.x) && str(t.key))
  )
    throw new SealedMessageError("BADFORMAT", "the encrypted message's header is incomplete or of an unknown version");
  return h as SealedHeader;
}

/** What the reader learns from a sealed message's header (before any body byte). */
export interface SealedInfo {
  id: string;
  from: string;
  computer: string;
  /** The sending computer's keys as the message states them (checked against the known keys by the caller). */
  senderKeys: PublicComputerKeys;
  recipients: Array<{ userId: string; computer: string }>;
}

export interface OpenOptions {
  /** This computer's keys: the current pair first, then earlier ones (messages sealed before a rotation). */
  keyring: ComputerKeys[];
  /** The message id the realm stores it under: a sealed message copied under another id is refused. */
  expectId?: string;
  /** Called once the header is verified enough to name the sender, before any body byte. */
  onHeader?: (info: SealedInfo) => void | Promise<void>;
}

/**
 * Opens a sealed message as a stream of plaintext chunks. The signature is checked at the end:
 * the generator throws SealedMessageError (BADSIGNATURE) after the last chunk if it does not
 * match, so a caller writing to a file must only keep it once the loop completed.
 */
export async function* openMessage(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: OpenOptions,
): AsyncGenerator<Uint8Array> {
  const r = new Reader(source);
  const magic = await r.take(4).catch(() => new Uint8Array(0));
  if (!isSealed(magic)) throw new SealedMessageError("BADFORMAT", "not an encrypted OpenGroove message");
  const lenBytes = await r.take(4);
  const hlen = new DataView(lenBytes.buffer, lenBytes.byteOffset, 4).getUint32(0);
  if (hlen > MAX_HEADER_BYTES) throw new SealedMessageError("BADFORMAT", "the encrypted message's header is too large");
  const headerJson = (await r.take(hlen)).slice();
  const h = parseHeader(headerJson);
  const senderKeys = { x25519: fromBase64Url(h.x25519), ed25519: fromBase64Url(h.ed25519) };
  const epk = fromBase64Url(h.epk);
  const prefix = fromBase64Url(h.nonce);
  if (
    senderKeys.x25519?.length !== 32 ||
    senderKeys.ed25519?.length !== 32 ||
    epk?.length !== 32 ||
    prefix?.length !== 15
  )
    throw new SealedMessageError("BADFORMAT", "the encrypted message's header has malformed keys");
  if (opts.expectId !== undefined && opts.expectId !== h.id)
    throw new SealedMessageError("WRONGID", `the encrypted message names id ${h.id}, not ${opts.expectId}`);
  let contentKey: Uint8Array | undefined;
  for (const keys of opts.keyring) {
    const pub = toBase64Url(keys.x25519.publicKey);
    for (const t of h.to) {
      if (t.x !== pub) continue;
      const wrapped = fromBase64Url(t.key);
      contentKey =
        wrapped &&
        openKey(wrapped, keys.x25519.privateKey, keys.x25519.publicKey, epk, utf8(`${t.user}\0${t.computer}`));
      if (contentKey) break;
    }
    if (contentKey) break;
  }
  if (!contentKey) throw new SealedMessageError("NOTFORME", "this message was not encrypted for this computer's key");
  await opts.onHeader?.({
    id: h.id,
    from: h.from,
    computer: h.computer,
    senderKeys: senderKeys as PublicComputerKeys,
    recipients: h.to.map((t) => ({ userId: t.user, computer: t.computer })),
  });
  const transcript = sha256
    .create()
    .update(SIG_LABEL)
    .update(concat(SEALED_MAGIC, lenBytes, headerJson));
  const aad = sha256(headerJson);
  for (let index = 0; ; index++) {
    const fh = await r.take(5);
    const flag = fh[0];
    const clen = new DataView(fh.buffer, fh.byteOffset, 5).getUint32(1);
    if (flag > 1 || clen < TAG_BYTES || clen > CHUNK_PLAIN_BYTES + TAG_BYTES)
      throw new SealedMessageError("TAMPERED", `chunk ${index} has a bad frame`);
    const ct = await r.take(clen);
    transcript.update(fh).update(ct);
    let plain: Uint8Array;
    try {
      plain = xchacha20poly1305(contentKey, chunkNonce(prefix, index, flag === 1), aad).decrypt(ct);
    } catch {
      throw new SealedMessageError("TAMPERED", `chunk ${index} failed authentication`);
    }
    if (plain.length) yield plain;
    if (flag === 1) break;
  }
  const sig = await r.take(64);
  if (!(await r.atEnd())) throw new SealedMessageError("TAMPERED", "bytes follow the signature");
  if (!verify(senderKeys.ed25519 as Uint8Array, transcript.digest(), sig))
    throw new SealedMessageError("BADSIGNATURE", "the sending computer's signature does not match");
}
