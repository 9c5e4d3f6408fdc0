// The data of the pushes whose layout the original OpenGroove fixed with spaces rather than
// lines (docs/protocol.md section 3). Browser-safe (Uint8Array and strings only).
import { bytesToText, concatBytes, utf8Bytes } from "./bytes.ts";

export interface ImmediateMessagePush {
  /** The immediate message's id (ours: the server's; older servers sent none: ""). */
  id: string;
  /** Sender's user id. */
  from: string;
  fromComputer: string;
  text: string;
}

/**
 * `receiveimessage` data as the original server sent it:
 * `id SP sender SP sender-computer SP text` (the text is the rest, any bytes).
 */
export function encodeImmediateMessagePush(m: {
  id: string;
  from: string;
  fromComputer: string;
  text: string;
}): Uint8Array {
  return concatBytes([utf8Bytes(`${m.id} ${m.from} ${m.fromComputer} `), utf8Bytes(m.text)]);
}

/**
 * Reads `receiveimessage` data: the original layout above, or (servers of this project before
 * the original layout) `sender LF computer LF text`. Ids, user ids and computer names contain
 * neither spaces nor newlines, so whichever comes first tells the layouts apart.
 */
export function decodeImmediateMessagePush(data: Uint8Array): ImmediateMessagePush | null {
  const text = bytesToText(data);
  const sp = text.indexOf(" ");
  const nl = text.search(/[\r\n]/);
  if (sp >= 0 && (nl < 0 || sp < nl)) {
    const parts: string[] = [];
    let at = 0;
    for (let i = 0; i < 3; i++) {
      const next = text.indexOf(" ", at);
      if (next < 0) return null;
      parts.push(text.slice(at, next));
      at = next + 1;
    }
    const [id = "", from = "", fromComputer = ""] = parts;
    return { id, from, fromComputer, text: text.slice(at) };
  }
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length < 2) return null;
  const [from = "", fromComputer = "", ...rest] = lines;
  return { id: "", from, fromComputer, text: rest.join("\n") };
}
