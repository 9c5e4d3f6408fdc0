// Packet payloads (docs/protocol.md section 3): what sits inside one length-prefixed frame
// (or one binary WebSocket message).
//
//   request      = packetId SP command [ NL arguments ]
//   reply        = packetId SP command SP STATUS [ NL data ]
//   notification = "*" SP event [ NL data ]
//
// The header ends at the first CR or LF (CRLF is one newline: the payload length is known, so
// there is no ambiguity) or at the end of the payload. Headers are pure ASCII and are checked
// byte by byte; only argument text is decoded as UTF-8, strictly.
//
// Plain Uint8Array throughout (no Buffer API), so the browser mailbox uses this same codec.
// Decoded slices are `subarray`s of the payload: a Buffer payload gives Buffer slices.
import { ok, fail, type Result, type ProtocolError } from "./errors.ts";
import { PROTOCOL_LIMITS } from "./limits.ts";
import { isStatusWord, type StatusWord } from "./status.ts";
import { EMPTY_BYTES, concatBytes, decodeUtf8Strict, latin1, utf8Bytes } from "./bytes.ts";

export { PROTOCOL_LIMITS, type ProtocolLimits } from "./limits.ts";

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const NL = new Uint8Array([LF]);

// The packet types are generic over the byte type: decoding a Buffer (Node) gives Buffer
// slices, decoding a plain Uint8Array (browser) gives Uint8Array slices; `subarray` keeps the
// type at run time.
export interface RequestPacket<B extends Uint8Array = Uint8Array> {
  readonly id: string;
  /** Lower case (the server folds case). */
  readonly command: string;
  /** Bytes after the header's newline; empty when there are none. Shares memory with the payload. */
  readonly args: B;
}

export interface ReplyPacket<B extends Uint8Array = Uint8Array> {
  readonly id: string;
  readonly command: string;
  readonly status: StatusWord;
  /** Bytes after the header's newline; empty when there are none. Shares memory with the payload. */
  readonly data: B;
}

export interface NotificationPacket<B extends Uint8Array = Uint8Array> {
  /** Lower case; may be an event this build does not know (ignore those). */
  readonly event: string;
  readonly data: B;
}

export type ServerPacket<B extends Uint8Array = Uint8Array> =
  ({ readonly kind: "reply" } & ReplyPacket<B>) | ({ readonly kind: "notification" } & NotificationPacket<B>);

export const NOTIFICATION_EVENTS = [
  "messageavailable",
  "receiveimessage",
  "imessagerejected",
  "banned",
  "workspacechange",
  "error",
  "shutdown",
  "switchserver",
] as const;

export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** Packet id of notifications; never a valid request id (`*` is outside the id alphabet). */
export const NOTIFICATION_ID = "*";

/** Packet data as callers hand it in: raw bytes, one UTF-8 string, or LF-joined text fields. */
export type PacketData = Uint8Array | string | readonly string[];

// ---------------------------------------------------------------------------------------------
// Validation

function isIdByte(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) || // 0-9
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    b === 0x5f || // _
    b === 0x2e || // .
    b === 0x2d // -
  );
}

function isNameByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/** Why `bytes` is not a valid token, or null. `what` names it in the reason. */
function tokenProblem(bytes: Uint8Array, what: string, max: number, valid: (b: number) => boolean): string | null {
  if (bytes.length === 0) return `missing ${what}`;
  if (bytes.length > max) return `${what} longer than ${max} bytes`;
  for (const b of bytes) if (!valid(b)) return `invalid character in ${what}`;
  return null;
}

export function isValidPacketId(id: string): boolean {
  return tokenProblem(utf8Bytes(id), "packet id", PROTOCOL_LIMITS.maxPacketIdBytes, isIdByte) === null;
}

/** Command and event names: 1-32 of [A-Za-z0-9] (folded to lower case on the wire). */
export function isValidCommandName(name: string): boolean {
  return tokenProblem(utf8Bytes(name), "command", PROTOCOL_LIMITS.maxCommandBytes, isNameByte) === null;
}

function assertToken(value: string, what: string, max: number, valid: (b: number) => boolean): void {
  const problem = tokenProblem(utf8Bytes(value), what, max, valid);
  if (problem) throw new TypeError(`${problem}: ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Decoding

interface SplitPayload<B extends Uint8Array> {
  header: Uint8Array;
  body: B;
}

/** A slice of `bytes` with its type: TypedArray#subarray builds the same (sub)class at run time. */
function slice<B extends Uint8Array>(bytes: B, start: number, end?: number): B {
  return bytes.subarray(start, end) as B;
}

/** Splits at the first CR or LF; CRLF counts as one newline. */
function splitHeader<B extends Uint8Array>(payload: B): SplitPayload<B> {
  const { end, next } = nextNewline(payload, 0);
  return { header: payload.subarray(0, end), body: slice(payload, next) };
}

/** Index of the first CR/LF at or after `from` (or the length), and the index after it. */
function nextNewline(buf: Uint8Array, from: number): { end: number; next: number } {
  for (let i = from; i < buf.length; i++) {
    const b = buf[i];
    if (b === LF) return { end: i, next: i + 1 };
    if (b === CR) return { end: i, next: buf[i + 1] === LF ? i + 2 : i + 1 };
  }
  return { end: buf.length, next: buf.length };
}

/**
 * Splits the header at its first `count - 1` spaces. The last token keeps any further spaces,
 * so doubled or trailing spaces show up as an invalid character rather than being skipped.
 */
function splitTokens(header: Uint8Array, count: number): Uint8Array[] {
  const tokens: Uint8Array[] = [];
  let start = 0;
  while (tokens.length < count - 1) {
    const sp = header.indexOf(SP, start);
    if (sp < 0) break;
    tokens.push(header.subarray(start, sp));
    start = sp + 1;
  }
  tokens.push(header.subarray(start));
  return tokens;
}

function ascii(bytes: Uint8Array): string {
  return latin1(bytes);
}

export function decodeRequest<B extends Uint8Array>(payload: B): Result<RequestPacket<B>> {
  if (payload.length === 0) return fail("BADPACKET", "empty packet");
  const { header, body } = splitHeader(payload);
  const [idBytes, commandBytes] = splitTokens(header, 2);
  const idProblem = tokenProblem(idBytes!, "packet id", PROTOCOL_LIMITS.maxPacketIdBytes, isIdByte);
  if (idProblem) return fail("BADPACKET", idProblem);
  if (commandBytes === undefined) return fail("BADPACKET", "missing command");
  const cmdProblem = tokenProblem(commandBytes, "command", PROTOCOL_LIMITS.maxCommandBytes, isNameByte);
  if (cmdProblem) return fail("BADPACKET", cmdProblem);
  return ok({ id: ascii(idBytes!), command: ascii(commandBytes).toLowerCase(), args: body });
}

export function decodeReply<B extends Uint8Array>(payload: B): Result<ReplyPacket<B>> {
  if (payload.length === 0) return fail("BADPACKET", "empty packet");
  const { header, body } = splitHeader(payload);
  return decodeReplyHeader(header, body);
}

function decodeReplyHeader<B extends Uint8Array>(header: Uint8Array, body: B): Result<ReplyPacket<B>> {
  const [idBytes, commandBytes, statusBytes] = splitTokens(header, 3);
  const idProblem = tokenProblem(idBytes!, "packet id", PROTOCOL_LIMITS.maxPacketIdBytes, isIdByte);
  if (idProblem) return fail("BADPACKET", idProblem);
  if (commandBytes === undefined) return fail("BADPACKET", "missing command");
  const cmdProblem = tokenProblem(commandBytes, "command", PROTOCOL_LIMITS.maxCommandBytes, isNameByte);
  if (cmdProblem) return fail("BADPACKET", cmdProblem);
  if (statusBytes === undefined || statusBytes.length === 0) return fail("BADPACKET", "missing status word");
  // latin1 maps bytes 1:1, so a non-ASCII byte can never accidentally equal a status word.
  const status = ascii(statusBytes);
  if (!isStatusWord(status)) return fail("BADPACKET", "unknown status word");
  return ok({ id: ascii(idBytes!), command: ascii(commandBytes).toLowerCase(), status, data: body });
}

/** Decodes anything a server sends: a reply, or (packet id `*`) a notification. */
export function decodeServerPacket<B extends Uint8Array>(payload: B): Result<ServerPacket<B>> {
  if (payload.length === 0) return fail("BADPACKET", "empty packet");
  const { header, body } = splitHeader(payload);
  if (header[0] === 0x2a /* * */ && (header.length === 1 || header[1] === SP)) {
    const [, eventBytes] = splitTokens(header, 2);
    if (eventBytes === undefined) return fail("BADPACKET", "missing event");
    const problem = tokenProblem(eventBytes, "event", PROTOCOL_LIMITS.maxEventBytes, isNameByte);
    if (problem) return fail("BADPACKET", problem);
    return ok({ kind: "notification", event: ascii(eventBytes).toLowerCase(), data: body });
  }
  const reply = decodeReplyHeader(header, body);
  return reply.ok ? ok({ kind: "reply", ...reply.value }) : reply;
}

// ---------------------------------------------------------------------------------------------
// Encoding (throws TypeError for invalid ids, names, statuses or fields: programmer errors)

function dataBytes(data: PacketData | undefined): Uint8Array {
  if (data === undefined) return EMPTY_BYTES;
  if (typeof data === "string") return utf8Bytes(data);
  if (data instanceof Uint8Array) return data;
  for (const field of data) {
    if (/[\r\n]/.test(field)) throw new TypeError(`text field contains a newline: ${JSON.stringify(field)}`);
  }
  return utf8Bytes(data.join("\n"));
}

/** Header, then (only when there is data) LF and the data. */
function assemble(header: string, data: PacketData | undefined): Uint8Array {
  // Headers are validated ASCII, so UTF-8 and Latin-1 give the same bytes.
  const head = utf8Bytes(header);
  const body = dataBytes(data);
  return body.length === 0 ? head : concatBytes([head, NL, body]);
}

/** `args`: raw bytes, or text fields joined with LF. */
export function encodeRequest(id: string, command: string, args?: Uint8Array | readonly string[]): Uint8Array {
  assertToken(id, "packet id", PROTOCOL_LIMITS.maxPacketIdBytes, isIdByte);
  assertToken(command, "command", PROTOCOL_LIMITS.maxCommandBytes, isNameByte);
  return assemble(`${id} ${command.toLowerCase()}`, args);
}

export function encodeReply(id: string, command: string, status: StatusWord, data?: PacketData): Uint8Array {
  assertToken(id, "packet id", PROTOCOL_LIMITS.maxPacketIdBytes, isIdByte);
  assertToken(command, "command", PROTOCOL_LIMITS.maxCommandBytes, isNameByte);
  if (!isStatusWord(status)) throw new TypeError(`unknown status word: ${JSON.stringify(status)}`);
  return assemble(`${id} ${command.toLowerCase()} ${status}`, data);
}

/** A non-OK reply whose data is the error's reason, flattened to one line as the spec requires. */
export function encodeErrorReply(id: string, command: string, error: ProtocolError): Uint8Array {
  return encodeReply(id, command, error.status, oneLine(error.reason));
}

export function encodeNotification(event: NotificationEvent, data?: PacketData): Uint8Array {
  assertToken(event, "event", PROTOCOL_LIMITS.maxEventBytes, isNameByte);
  return assemble(`${NOTIFICATION_ID} ${event}`, data);
}

/**
 * The `* error` notification a server sends before closing on a protocol error. The spec's
 * notification grammar has no status slot, so the status word is the first LF-separated data
 * field and the one-line reason the second: `* error` LF `TOOLARGE` LF `reason`.
 */
export function encodeErrorNotification(error: ProtocolError): Uint8Array {
  return encodeNotification("error", [error.status, oneLine(error.reason)]);
}

/** Reads the data of an `* error` notification (see encodeErrorNotification). */
export function decodeErrorNotification(data: Uint8Array): Result<{ status: StatusWord; reason: string }> {
  const fields = splitFields(data, 2);
  if (!fields.ok) return fields;
  const [status, reason = ""] = fields.value;
  if (status === undefined || !isStatusWord(status))
    return fail("BADPACKET", "error notification without a status word");
  return ok({ status, reason });
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}

// ---------------------------------------------------------------------------------------------
// Arguments

function decodeText(bytes: Uint8Array): Result<string> {
  const text = decodeUtf8Strict(bytes);
  return text === null ? fail("BADARGUMENTS", "arguments are not valid UTF-8") : ok(text);
}

function splitText(text: string, max: number): string[] {
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length && fields.length < max - 1; i++) {
    const c = text.charCodeAt(i);
    if (c !== CR && c !== LF) continue;
    fields.push(text.slice(start, i));
    if (c === CR && text.charCodeAt(i + 1) === LF) i++;
    start = i + 1;
  }
  fields.push(text.slice(start));
  return fields;
}

/**
 * Splits text arguments into fields at CR, LF or CRLF, like String#split: n newlines give
 * n + 1 fields, so empty args give `[""]`. With `max`, at most `max` fields are produced and
 * the last one holds the rest of the text verbatim (newlines included), for a trailing
 * free-text field. Invalid UTF-8 gives BADARGUMENTS.
 */
export function splitFields(args: Uint8Array | string, max?: number): Result<string[]> {
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) {
    throw new RangeError(`max must be a positive integer, got ${max}`);
  }
  const text = typeof args === "string" ? ok(args) : decodeText(args);
  if (!text.ok) return text;
  return ok(splitText(text.value, max ?? Number.POSITIVE_INFINITY));
}

/** splitFields, then BADARGUMENTS unless there are exactly `count` fields. */
export function splitExactFields(args: Uint8Array | string, count: number): Result<string[]> {
  const fields = splitFields(args);
  if (!fields.ok) return fields;
  if (fields.value.length !== count) {
    return fail("BADARGUMENTS", `expected ${count} field${count === 1 ? "" : "s"}, got ${fields.value.length}`);
  }
  return fields;
}

export interface FieldsWithData<B extends Uint8Array = Uint8Array> {
  readonly fields: string[];
  /** The trailing binary data; shares memory with args. */
  readonly data: B;
}

/**
 * For commands whose last argument is binary data of a length given by an earlier field:
 * `fieldCount` text fields (not counting the data), the one at `lengthFieldIndex` holding the
 * data's length in decimal. The data is the LAST `length` bytes of args, so it may contain any
 * bytes; the fields are the bytes before it, minus one newline (CR, LF or CRLF) separating
 * them from the data if present.
 */
export function splitWithTrailingData<B extends Uint8Array>(
  args: B,
  fieldCount: number,
  lengthFieldIndex: number,
): Result<FieldsWithData<B>> {
  if (!Number.isSafeInteger(fieldCount) || fieldCount < 1)
    throw new RangeError(`fieldCount must be a positive integer, got ${fieldCount}`);
  if (!Number.isSafeInteger(lengthFieldIndex) || lengthFieldIndex < 0 || lengthFieldIndex >= fieldCount) {
    throw new RangeError(`lengthFieldIndex must be in 0..${fieldCount - 1}, got ${lengthFieldIndex}`);
  }
  const countError = (got: number) => fail("BADARGUMENTS", `expected ${fieldCount} fields before the data, got ${got}`);

  // The fields up to and including the length field come first and contain no newlines, so
  // the length can be read by walking lines from the start before the data is located.
  let start = 0;
  for (let line = 0; line < lengthFieldIndex; line++) {
    const { end, next } = nextNewline(args, start);
    if (end === args.length) return countError(line + 1);
    start = next;
  }
  const { end: lengthEnd } = nextNewline(args, start);
  const lengthText = ascii(args.subarray(start, lengthEnd));
  // Decimal digits only: no sign, no spaces, no exponent; and a safe integer.
  const length = /^[0-9]+$/.test(lengthText) ? Number(lengthText) : Number.NaN;
  if (!Number.isSafeInteger(length)) return fail("BADARGUMENTS", "data length is not a non-negative integer");
  // The data must start after the length field.
  if (length > args.length - lengthEnd)
    return fail("BADARGUMENTS", `data length ${length} exceeds the available bytes`);

  const dataStart = args.length - length;
  let textEnd = dataStart;
  if (textEnd > 0 && args[textEnd - 1] === LF) textEnd--;
  if (textEnd > 0 && args[textEnd - 1] === CR) textEnd--;
  // Stripping only removes CR/LF bytes and the length field ends in a digit, so the text part
  // always still contains the whole length field.

  const text = decodeText(args.subarray(0, textEnd));
  if (!text.ok) return text;
  const fields = splitText(text.value, Number.POSITIVE_INFINITY);
  if (fields.length !== fieldCount) return countError(fields.length);
  return ok({ fields, data: slice(args, dataStart) });
}

/** Builds args for splitWithTrailingData: the fields joined with LF, an LF, then the data. */
export function joinFieldsWithTrailingData(fields: readonly string[], data: Uint8Array): Uint8Array {
  return concatBytes([dataBytes(fields), NL, data]);
}
