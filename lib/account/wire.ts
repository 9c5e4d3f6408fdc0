// A browser-safe subset of the packet codec (lib/protocol/packet.ts is Buffer-based): requests
// out, replies and notifications in, over Uint8Array only, for the WebSocket transport (one
// packet per binary message, no length prefix, no greeting). Same bytes as the Node codec; the
// integration tests check both against each other.
import { keyValueLines } from "../protocol/key-values.ts";

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type RequestArgs = Uint8Array | readonly string[];

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function fieldsBytes(fields: readonly string[]): Uint8Array {
  for (const f of fields) if (/[\r\n]/.test(f)) throw new TypeError("a text field cannot contain a line break");
  return utf8(fields.join("\n"));
}

/** `packetId SP command [LF args]`; text fields are joined with LF. */
export function encodeRequest(id: string, command: string, args?: RequestArgs): Uint8Array {
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(id)) throw new TypeError("invalid packet id");
  if (!/^[A-Za-z0-9]{1,32}$/.test(command)) throw new TypeError("invalid command");
  const head = utf8(`${id} ${command.toLowerCase()}`);
  const body = args === undefined ? new Uint8Array(0) : args instanceof Uint8Array ? args : fieldsBytes(args);
  return body.length === 0 ? head : concatBytes([head, new Uint8Array([LF]), body]);
}

/** Text fields, an LF, then binary data (writemessagedata): what splitWithTrailingData reads. */
export function fieldsWithData(fields: readonly string[], data: Uint8Array): Uint8Array {
  return concatBytes([fieldsBytes(fields), new Uint8Array([LF]), data]);
}

export type ServerPacket =
  | { kind: "reply"; id: string; command: string; status: string; data: Uint8Array }
  | { kind: "notification"; event: string; data: Uint8Array };

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** A reply or notification, or null when the payload is malformed. */
export function decodeServerPacket(payload: Uint8Array): ServerPacket | null {
  if (payload.length === 0) return null;
  let end = payload.length;
  let next = payload.length;
  for (let i = 0; i < payload.length; i++) {
    if (payload[i] === LF) {
      end = i;
      next = i + 1;
      break;
    }
    if (payload[i] === CR) {
      end = i;
      next = payload[i + 1] === LF ? i + 2 : i + 1;
      break;
    }
  }
  const header = latin1(payload.subarray(0, end));
  const data = payload.subarray(next);
  if (payload[0] === 0x2a && (end === 1 || payload[1] === SP)) {
    const event = header.slice(2);
    return /^[A-Za-z0-9]{1,32}$/.test(event) ? { kind: "notification", event: event.toLowerCase(), data } : null;
  }
  const m = /^([A-Za-z0-9_.-]{1,32}) ([A-Za-z0-9]{1,32}) ([A-Z]+)$/.exec(header);
  return m ? { kind: "reply", id: m[1], command: m[2].toLowerCase(), status: m[3], data } : null;
}

export function textOf(data: Uint8Array): string {
  return decoder.decode(data);
}

export function linesOf(data: Uint8Array): string[] {
  const t = textOf(data);
  return t === "" ? [] : t.split(/\r\n|\r|\n/);
}

/** `key=value` lines (getmessageinfo, authenticate's userid=). */
export function keyValues(data: Uint8Array): Record<string, string> {
  return keyValueLines(linesOf(data));
}
