// Byte helpers for the codec, on plain Uint8Array so the same code runs in Node (where Buffer
// is a Uint8Array subclass and is accepted everywhere) and in the browser. No Buffer here.
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder("utf-8");

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Strict UTF-8 decoding: null for invalid input (the codec turns that into a status word). */
export function decodeUtf8Strict(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** UTF-8 with replacement characters, for text shown to a person (reasons, ids). */
export function bytesToText(bytes: Uint8Array): string {
  return lenientUtf8.decode(bytes);
}

/** Bytes as Latin-1 (one char per byte): for ASCII headers, where it never fails. */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}

/** A string of chars < 256 as bytes (the inverse of latin1); only used for ASCII constants. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  const length = total ?? parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}
