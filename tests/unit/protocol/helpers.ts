// Shared test helpers: a seeded PRNG (no dependencies) and ways to cut a byte stream into chunks.

/** mulberry32: small, fast, deterministic; good enough to drive property tests. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error("pick from empty list");
    return item;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }

  /** A string of lo..hi code points drawn from `alphabet` (split by code point, so emoji stay whole). */
  string(alphabet: string, lo: number, hi: number): string {
    const chars = Array.from(alphabet);
    const n = this.int(lo, hi);
    let s = "";
    for (let i = 0; i < n; i++) s += this.pick(chars);
    return s;
  }
}

/** The whole buffer as one chunk, every two-way split (including empty halves), and 1-byte chunks. */
export function everySplit(buf: Buffer): { name: string; chunks: Buffer[] }[] {
  const out: { name: string; chunks: Buffer[] }[] = [{ name: "whole", chunks: [buf] }];
  for (let k = 0; k <= buf.length; k++) {
    out.push({ name: `split@${k}`, chunks: [buf.subarray(0, k), buf.subarray(k)] });
  }
  out.push({ name: "bytewise", chunks: oneByteChunks(buf) });
  return out;
}

export function oneByteChunks(buf: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i++) chunks.push(buf.subarray(i, i + 1));
  return chunks;
}

/** Random cut points; the style (1-byte, small, large, mixed) is also random. */
export function randomChunks(buf: Buffer, rng: Rng): Buffer[] {
  const style = rng.int(0, 3);
  const chunks: Buffer[] = [];
  let i = 0;
  while (i < buf.length) {
    let size: number;
    if (style === 0) size = 1;
    else if (style === 1) size = rng.int(1, 16);
    else if (style === 2) size = rng.int(1, 4096);
    else size = rng.bool(0.3) ? 1 : rng.int(0, 700); // includes empty chunks
    chunks.push(buf.subarray(i, i + size));
    i += size;
  }
  return chunks;
}

/** Copies chunks into fresh buffers so a test can scribble over the originals. */
export function copyChunks(chunks: Buffer[]): Buffer[] {
  return chunks.map((c) => Buffer.from(c));
}
