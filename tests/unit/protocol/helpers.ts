// Shared test helpers: ways to cut a byte stream into chunks (random data comes from fast-check).

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

/** Copies chunks into fresh buffers so a test can scribble over the originals. */
export function copyChunks(chunks: Buffer[]): Buffer[] {
  return chunks.map((c) => Buffer.from(c));
}
