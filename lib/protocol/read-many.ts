// The OK data of `readmessages` (docs/protocol.md): one entry per requested id, in order. An
// entry is a line `OK <size> <length>` followed by exactly `length` bytes (the first `length`
// bytes of a message of `size` bytes: fewer than `size` when the message is larger than one
// block or the reply ran out of room, and the client reads the rest with `readmessagedata`), or
// a line `<STATUS> <reason>` for an id that cannot be read. Lines end with LF. One codec for the
// daemon, the Node SDK and the browser.
import { fail, ok, type Result } from "./errors.ts";
import { isStatusWord, type StatusWord } from "./status.ts";
import { concatBytes, latin1, utf8Bytes } from "./bytes.ts";

export type ReadManyEntry =
  { status: "OK"; size: bigint; data: Uint8Array } | { status: Exclude<StatusWord, "OK">; reason: string };

export function encodeReadMany(entries: readonly ReadManyEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    if (e.status === "OK") {
      parts.push(utf8Bytes(`OK ${e.size} ${e.data.length}\n`), e.data);
    } else {
      // A reason is one line of text: line breaks would split the entry.
      parts.push(utf8Bytes(`${e.status} ${e.reason.replace(/[\r\n]+/g, " ")}\n`));
    }
  }
  return concatBytes(parts);
}

/** Parses the OK data of `readmessages`; `count` is the number of ids that were asked for. */
export function decodeReadMany(bytes: Uint8Array, count: number): Result<ReadManyEntry[]> {
  const out: ReadManyEntry[] = [];
  let i = 0;
  while (out.length < count) {
    const nl = bytes.indexOf(0x0a, i);
    if (nl < 0) return fail("BADPACKET", `readmessages: ${out.length} of ${count} entries`);
    const line = new TextDecoder().decode(bytes.subarray(i, nl));
    i = nl + 1;
    const sp = line.indexOf(" ");
    const word = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? "" : line.slice(sp + 1);
    if (word === "OK") {
      const m = /^(\d{1,20}) (\d{1,10})$/.exec(rest);
      if (!m) return fail("BADPACKET", `readmessages: bad entry "${latin1(bytes.subarray(nl - line.length, nl))}"`);
      const length = Number(m[2]);
      if (i + length > bytes.length) return fail("BADPACKET", "readmessages: an entry's data is cut short");
      out.push({ status: "OK", size: BigInt(m[1]), data: bytes.subarray(i, i + length) });
      i += length;
    } else if (isStatusWord(word)) {
      out.push({ status: word as Exclude<StatusWord, "OK">, reason: rest });
    } else {
      return fail("BADPACKET", `readmessages: unknown status in entry "${line.slice(0, 40)}"`);
    }
  }
  if (i !== bytes.length) return fail("BADPACKET", "readmessages: bytes after the last entry");
  return ok(out);
}
