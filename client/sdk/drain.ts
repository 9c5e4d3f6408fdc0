// Draining an inbox (RealmClient.receiveAll): pages of ids, each window of messages read with ONE
// `readmessages` request (their first block; the rest of a larger message with readmessagedata)
// and deleted with one `deletemessages` while the next window is read. Against a server without
// `readmessages` (UNKNOWNCOMMAND) the window's messages are read one `readmessagedata` each,
// pipelined, as before.
import { decodeReadMany } from "../../lib/protocol/read-many.ts";
import type { StatusWord } from "../../lib/protocol/index.ts";
import { OpenGrooveError, type Reply } from "./connection.ts";

export interface DrainTarget {
  call(command: string, args?: Uint8Array | readonly string[]): Promise<Reply>;
  inboxPages(pageSize: number): AsyncGenerator<string[]>;
  readMessageData(id: string, offset: number, length: number): Promise<Buffer>;
  deleteMessages(ids: string[]): Promise<Array<{ status: string; released: bigint; reason: string }>>;
}

export interface DrainOptions {
  /** Messages per read and per delete request (default 64; 16 against servers without readmessages). */
  window?: number;
  pageSize: number;
  chunkBytes: number;
}

/** Whether a server answered `readmessages` with UNKNOWNCOMMAND (per client object). */
const noReadMany = new WeakSet<DrainTarget>();

/** The window's bodies, by id; a message gone meanwhile (retracted, expired) is left out. */
async function readWindow(c: DrainTarget, ids: string[], chunkBytes: number): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const readRest = async (id: string, first: Buffer, size: number) => {
    const parts = [first];
    for (let off = first.length; off < size; off += chunkBytes)
      parts.push(await c.readMessageData(id, off, Math.min(chunkBytes, size - off)));
    return Buffer.concat(parts);
  };
  if (!noReadMany.has(c)) {
    try {
      const reply = await c.call("readmessages", ids);
      const r = decodeReadMany(reply.data, ids.length);
      if (!r.ok) throw new OpenGrooveError(r.error.status, r.error.reason, "readmessages");
      await Promise.all(
        r.value.map(async (e, k) => {
          if (e.status !== "OK") {
            if (e.status === "NOSUCHMESSAGE") return;
            throw new OpenGrooveError(e.status, e.reason, "readmessages");
          }
          const first = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
          out.set(ids[k], e.size > BigInt(first.length) ? await readRest(ids[k], first, Number(e.size)) : first);
        }),
      );
      return out;
    } catch (e) {
      if (!(e instanceof OpenGrooveError && e.status === "UNKNOWNCOMMAND")) throw e;
      noReadMany.add(c); // an older server: read one by one from now on
    }
  }
  const bodies = await Promise.all(ids.map((id) => readWhole(c, id, chunkBytes)));
  ids.forEach((id, k) => out.set(id, bodies[k]));
  return out;
}

/** Reads a message chunk by chunk until a short chunk: one round trip for a small message. */
async function readWhole(c: DrainTarget, id: string, chunkBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let off = 0; ; off += chunkBytes) {
    const chunk = await c.readMessageData(id, off, chunkBytes);
    parts.push(chunk);
    if (chunk.length < chunkBytes) return parts.length === 1 ? chunk : Buffer.concat(parts);
  }
}

/** See RealmClient.receiveAll. */
export async function drainInbox(
  c: DrainTarget,
  onMessage: (id: string, body: Buffer) => void | Promise<void>,
  opts: DrainOptions,
): Promise<number> {
  let taken = 0;
  let deleting: Promise<void> | undefined;
  for (;;) {
    let any = false;
    for await (const page of c.inboxPages(opts.pageSize)) {
      any = true;
      for (let i = 0; i < page.length;) {
        const window = opts.window ?? (noReadMany.has(c) ? 16 : 64);
        const ids = page.slice(i, i + window);
        i += ids.length;
        const bodies = await readWindow(c, ids, opts.chunkBytes);
        const got = ids.filter((id) => bodies.has(id));
        for (const id of got) await onMessage(id, bodies.get(id)!);
        await deleting;
        if (!got.length) continue;
        deleting = c.deleteMessages(got).then((r) => {
          const bad = r.find((x) => x.status !== "OK");
          if (bad) throw new OpenGrooveError(bad.status as StatusWord, bad.reason, "deletemessages");
          taken += got.length;
        });
        // Awaited before the next delete or at the end; when a read fails first (connection
        // lost), this one's rejection must not go unhandled and crash the process.
        deleting.catch(() => undefined);
      }
    }
    await deleting;
    deleting = undefined;
    if (!any) return taken;
  }
}
