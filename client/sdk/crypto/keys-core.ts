// Per-computer keys without any Node-only import, so the browser mailbox and the SDK share one
// implementation (audited @noble libraries; see docs/clients.md). computer-keys.ts re-exports
// this and adds the file store used by the CLI.
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { concat, fromBase64Url, toBase64Url, utf8 } from "./bytes.ts";

export interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** A computer's raw 32-byte keys: X25519 to receive sealed keys, Ed25519 to sign. */
export interface ComputerKeys {
  x25519: KeyPair;
  ed25519: KeyPair;
}

/** The public half as published in computer settings. */
export interface PublicComputerKeys {
  x25519: Uint8Array;
  ed25519: Uint8Array;
}

export const KEY_SETTINGS = {
  x25519: "public-og-x25519",
  ed25519: "public-og-ed25519",
  format: "public-og-keyformat",
  /** Ed25519 signature by the previous key over the new public keys (set by a rotation). */
  rotation: "public-og-keyrotation",
} as const;
export const KEY_FORMAT = "1";

export function generateComputerKeys(): ComputerKeys {
  const xs = x25519.utils.randomSecretKey();
  const es = ed25519.utils.randomSecretKey();
  return {
    x25519: { privateKey: xs, publicKey: x25519.getPublicKey(xs) },
    ed25519: { privateKey: es, publicKey: ed25519.getPublicKey(es) },
  };
}

/** Rebuilds keys from the two private keys (public halves derived, so a file cannot mismatch). */
export function keysFromPrivate(x25519Private: Uint8Array, ed25519Private: Uint8Array): ComputerKeys {
  return {
    x25519: { privateKey: x25519Private, publicKey: x25519.getPublicKey(x25519Private) },
    ed25519: { privateKey: ed25519Private, publicKey: ed25519.getPublicKey(ed25519Private) },
  };
}

/** The computer settings that publish the public keys. */
export function publicKeySettings(keys: ComputerKeys): Record<string, string> {
  return {
    [KEY_SETTINGS.x25519]: toBase64Url(keys.x25519.publicKey),
    [KEY_SETTINGS.ed25519]: toBase64Url(keys.ed25519.publicKey),
    [KEY_SETTINGS.format]: KEY_FORMAT,
  };
}

/** Parses published settings; undefined when absent, malformed or of an unknown format. */
export function parsePublicKeySettings(
  settings: Record<string, string | null | undefined>,
): PublicComputerKeys | undefined {
  if (settings[KEY_SETTINGS.format] !== KEY_FORMAT) return undefined;
  const x = fromBase64Url(settings[KEY_SETTINGS.x25519] ?? "");
  const e = fromBase64Url(settings[KEY_SETTINGS.ed25519] ?? "");
  if (!x || !e || x.length !== 32 || e.length !== 32) return undefined;
  return { x25519: x, ed25519: e };
}

const FINGERPRINT_LABEL = utf8("opengroove-computer-key-v1\0");

/** SHA-256 over "opengroove-computer-key-v1\0" ‖ X25519 ‖ Ed25519, as 16 groups of 4 hex digits. */
export function fingerprint(x25519Public: Uint8Array, ed25519Public: Uint8Array): string {
  const hex = bytesToHex(sha256(concat(FINGERPRINT_LABEL, x25519Public, ed25519Public)));
  return hex.match(/.{4}/g)!.join(" ");
}

export function sign(keys: ComputerKeys, bytes: Uint8Array): Uint8Array {
  return ed25519.sign(bytes, keys.ed25519.privateKey);
}

/** True only for a valid signature; malformed keys or signatures give false, never a throw. */
export function verify(ed25519Public: Uint8Array, bytes: Uint8Array, sig: Uint8Array): boolean {
  if (sig.length !== 64 || ed25519Public.length !== 32) return false;
  try {
    return ed25519.verify(sig, bytes, ed25519Public);
  } catch {
    return false;
  }
}

const ROTATION_LABEL = utf8("opengroove-key-rotation-v1\0");

/** What an old key signs to vouch for new public keys. */
export function rotationStatement(next: PublicComputerKeys): Uint8Array {
  return concat(ROTATION_LABEL, next.x25519, next.ed25519);
}
