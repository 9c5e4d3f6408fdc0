// The cryptography of a direct link (docs/clients.md §6): each side brings an ephemeral X25519
// key and a nonce; both sign the transcript (both identities, both ephemeral keys, both nonces)
// with their computer's Ed25519 key, checked against the key the realm publishes; the link
// keys come from the ephemeral Diffie-Hellman secret and the transcript. After the handshake
// every packet is sealed with ChaCha20-Poly1305 under a per-direction key and a counter nonce,
// so packets cannot be read, altered, replayed, reordered or dropped unnoticed.
import { x25519 } from "@noble/curves/ed25519.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { concat, utf8 } from "../crypto/bytes.ts";
import { sign, verify, type ComputerKeys } from "../crypto/keys-core.ts";

export const DIRECT_VERSION = "1";

/** One side's handshake contribution. */
export interface HelloFields {
  userId: string;
  computer: string;
  /** Ephemeral X25519 public key (32 bytes). */
  eph: Uint8Array;
  /** 32 random bytes. */
  nonce: Uint8Array;
}

export function newEphemeral(): { priv: Uint8Array; pub: Uint8Array; nonce: Uint8Array } {
  const priv = x25519.utils.randomSecretKey();
  return { priv, pub: x25519.getPublicKey(priv), nonce: randomBytes(32) };
}

function lengthPrefixed(b: Uint8Array): Uint8Array {
  const n = new Uint8Array(4);
  new DataView(n.buffer).setUint32(0, b.length);
  return concat(n, b);
}

/** SHA-256 over the version label and both sides' fields, each length-prefixed (no ambiguity). */
export function transcript(client: HelloFields, server: HelloFields): Uint8Array {
  const parts = [client, server].flatMap((h) => [utf8(h.userId.toLowerCase()), utf8(h.computer), h.eph, h.nonce]);
  return sha256(concat(utf8("opengroove-direct-v1\0"), ...parts.map(lengthPrefixed)));
}

const roleLabel = (role: "client" | "server") => utf8(`opengroove-direct-${role}-v1\0`);

export function signTranscript(keys: ComputerKeys, role: "client" | "server", t: Uint8Array): Uint8Array {
  return sign(keys, concat(roleLabel(role), t));
}

export function verifyTranscript(
  ed25519: Uint8Array,
  role: "client" | "server",
  t: Uint8Array,
  sig: Uint8Array,
): boolean {
  return verify(ed25519, concat(roleLabel(role), t), sig);
}

/** One direction of the link: seals or opens packets in order. */
class Direction {
  private counter = 0n;
  constructor(private readonly key: Uint8Array) {}
  private nonce(): Uint8Array {
    const n = new Uint8Array(12);
    new DataView(n.buffer).setBigUint64(4, this.counter++);
    return n;
  }
  seal(plain: Uint8Array): Uint8Array {
    return chacha20poly1305(this.key, this.nonce()).encrypt(plain);
  }
  /** Undefined when the packet fails authentication (the link must then be closed). */
  open(sealed: Uint8Array): Uint8Array | undefined {
    try {
      return chacha20poly1305(this.key, this.nonce()).decrypt(sealed);
    } catch {
      return undefined;
    }
  }
}

export interface LinkCipher {
  seal(plain: Uint8Array): Uint8Array;
  open(sealed: Uint8Array): Uint8Array | undefined;
}

/** The link keys: HKDF-SHA256(X25519(own ephemeral, peer ephemeral), salt = transcript). */
export function linkCipher(
  role: "client" | "server",
  ownEph: Uint8Array,
  peerEph: Uint8Array,
  t: Uint8Array,
): LinkCipher {
  const shared = x25519.getSharedSecret(ownEph, peerEph);
  const okm = hkdf(sha256, shared, t, utf8("opengroove-direct-keys-v1"), 64);
  const c2s = new Direction(okm.subarray(0, 32));
  const s2c = new Direction(okm.subarray(32, 64));
  return role === "client"
    ? { seal: (p) => c2s.seal(p), open: (s) => s2c.open(s) }
    : { seal: (p) => s2c.seal(p), open: (s) => c2s.open(s) };
}
