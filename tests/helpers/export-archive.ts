// Reading an account export (lib/domain/account-export.ts) in tests: the whole stream, and the
// tar archive's files by their name inside `opengroove-export/`.
import { Readable } from "node:stream";
import tar from "tar-stream";

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function untar(buf: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = tar.extract();
  ex.on("entry", (header, stream, next) => {
    const parts: Buffer[] = [];
    stream.on("data", (d: unknown) => parts.push(d as Buffer));
    stream.on("end", () => {
      out.set(header.name.replace(/^opengroove-export\//, ""), Buffer.concat(parts));
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on("finish", resolve);
    ex.on("error", reject);
    Readable.from([buf]).pipe(ex);
  });
  return out;
}
