// Packet payloads (docs/protocol.md section 3): what sits inside one length-prefixed frame
// (or one binary WebSocket message). The layout is the original OpenGroove's, byte for byte:
//
//   request      = packetId SP command SP arguments      ("p7 ping " with no arguments)
//   reply        = packetId SP command SP STATUS SP data ("p7 ping OK pong"; "p8 nop OK ")
//   push         = pushId SP event SP STATUS SP data     ("p1764374400000uid3 messageavailable OK <id>")
//
// The original client split the first 128 bytes of a reply on spaces into four tokens and
// dropped packets with fewer, so the space after the status word is always sent, even with
// empty data. Pushes have the same shape; the original server gave them packet ids
// `p<milliseconds>uid<counter>` (its generateId()), and so do we. Ids of that form (and `*`)
// are therefore reserved for pushes: a decoder classifies by the id.
//
// For the transition the decoders also accept the older layout, where a newline (CR, LF or
// CRLF) instead of the space ends the command (requests), the status word (replies) or the
// event (`* event NL data` pushes). The two are unambiguous: the separator right after the
// command (or status word) is either a space or a newline. Headers are pure ASCII and are
// checked byte by byte; only argument text is decoded as UTF-8, strictly.
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
const SPACE = new Uint8Array([SP]);

// The packet types are generic over the byte type: decoding a Buffer (Node) gives Buffer
// slices, decoding a plain Uint8Array (browser) gives Uint8Array slices; `subarray` keeps the
// type at run time.
export interface RequestPacket<B extends Uint8Array = Uint8Array> {
  readonly id: string;
  /** Lower case (the server folds case). */
  readonly command: string;
  /** Bytes after the space (or older: the newline) that ends the command. Shares memory with the payload. */
  readonly args: B;
  /** True when a newline, not the original's space, ended the command (the older layout). */
  readonly newlineForm: boolean;
}

export interface ReplyPacket<B extends Uint8Array = Uint8Array> {
  readonly id: string;
  readonly command: string;
  readonly status: StatusWord;
  /** Bytes after the space (or older: the newline) that ends the status word. Shares memory with the payload. */
  readonly data: B;
}

export interface NotificationPacket<B extends Uint8Array = Uint8Array> {
  /** Lower case; may be an event this build does not know (ignore those). */
  readonly event: string;
  /** OK for every push but `error`, whose status word says what went wrong. */
  readonly status: StatusWord;
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
  "subscriptionevent",
  "invitetochannel",
  "newchannelmember",
  "channeldata",
  "channelclosed",
  "error",
  "shutdown",
  "switchserver",
  /** Management server → realm servers: a realm came up or moved (docs/federation.md §4b). */
  "realmup",
] as const;

export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** Packet id of pushes in the older layout; never a valid request id (`*` is outside the id alphabet). */
export const NOTIFICATION_ID = "*";

/** Push ids as the original server made them: `p` + milliseconds since the epoch + `uid` + a counter. */
const PUSH_ID = /^p[0-9]+uid[0-9]+$/;

/** True for ids that mark a push (`*`, or the original server's `p<ms>uid<n>`); clients never use them. */
export function isPushId(id: string): boolean {
  return id === NOTIFICATION_ID || PUSH_ID.test(id);
}

let pushCounter = 0;

/** The next push id, in the original server's form. */
export function nextPushId(): string {
  pushCounter = pushCounter >= Number.MAX_SAFE_INTEGER ? 0 : pushCounter + 1;
  return `p${Date.now()}uid${pushCounter}`;
}

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

/** A slice of `bytes` with its type: TypedArray#subarray builds the same (sub)class at run time. */
function slice<B extends Uint8Array>(bytes: B, start: number, end?: number): B {
  return bytes.subarray(start, end) as B;
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

/** How a header token ended: a space, a newline (CR, LF or CRLF), or the end of the payload. */
type Ending = "space" | "newline" | "end";

interface Token {
  bytes: Uint8Array;
  ending: Ending;
  /** Index just after the separator. */
  next: number;
}

/** The bytes from `from` up to the next space, CR, LF or the end. */
function readToken(buf: Uint8Array, from: number): Token {
  for (let i = from; i < buf.length; i++) {
    const b = buf[i];
    if (b === SP) return { bytes: buf.subarray(from, i), ending: "space", next: i + 1 };
    if (b === LF || b === CR) {
      const { next } = nextNewline(buf, i);
      return { bytes: buf.subarray(from, i), ending: "newline", next };
    }
  }
  return { bytes: buf.subarray(from), ending: "end", next: buf.length };
}

function ascii(bytes: Uint8Array): string {
  return latin1(bytes);
}

/** The packet id and the command (or event) of any payload, validated. */
function readIdAndName(
  payload: Uint8Array,
  what: "command" | "event",
): Result<{ id: string; name: string; after: Token }> {
  if (payload.length === 0) return fail("BADPACKET", "empty packet");
  const idToken = readToken(payload, 0);
  const idProblem = tokenProblem(idToken.bytes, "packet id", PROTOCOL_LIMITS.maxPacketIdBytes, (b) =>
    what === "event" ? isIdByte(b) || b === 0x2a : isIdByte(b),
  );
  if (idProblem) return fail("BADPACKET", idProblem);
  if (idToken.ending !== "space") return fail("BADPACKET", `missing ${what}`);
  const nameToken = readToken(payload, idToken.next);
  const max = what === "command" ? PROTOCOL_LIMITS.maxCommandBytes : PROTOCOL_LIMITS.maxEventBytes;
  const nameProblem = tokenProblem(nameToken.bytes, what, max, isNameByte);
  if (nameProblem) return fail("BADPACKET", nameProblem);
  return ok({ id: ascii(idToken.bytes), name: ascii(nameToken.bytes).toLowerCase(), after: nameToken });
}

/**
 * A request: `id SP command SP args` (the original's layout), or the older `id SP command NL
 * args`; `id SP command` alone has empty args. Everything after that one separator is the
 * arguments, verbatim.
 */
export function decodeRequest<B extends Uint8Array>(payload: B): Result<RequestPacket<B>> {
  const head = readIdAndName(payload, "command");
  if (!head.ok) return head;
  const { id, name, after } = head.value;
  if (id === NOTIFICATION_ID) return fail("BADPACKET", "invalid character in packet id");
  return ok({ id, command: name, args: slice(payload, after.next), newlineForm: after.ending === "newline" });
}

/** The status word after the command, then the data after the space (or older: newline) that ends it. */
function readStatusAndData<B extends Uint8Array>(payload: B, from: number): Result<{ status: StatusWord; data: B }> {
  const statusToken = readToken(payload, from);
  if (statusToken.bytes.length === 0) return fail("BADPACKET", "missing status word");
  // latin1 maps bytes 1:1, so a non-ASCII byte can never accidentally equal a status word.
  const status = ascii(statusToken.bytes);
  if (!isStatusWord(status)) return fail("BADPACKET", "unknown status word");
  return ok({ status, data: slice(payload, statusToken.next) });
}

/** A reply: `id SP command SP STATUS SP data`, or the older `id SP command SP STATUS NL data`. */
export function decodeReply<B extends Uint8Array>(payload: B): Result<ReplyPacket<B>> {
  const head = readIdAndName(payload, "command");
  if (!head.ok) return head;
  const { id, name, after } = head.value;
  if (after.ending !== "space") return fail("BADPACKET", "missing status word");
  const rest = readStatusAndData(payload, after.next);
  if (!rest.ok) return rest;
  return ok({ id, command: name, ...rest.value });
}

/**
 * Decodes anything a server sends: a reply, or a push (packet id `p<ms>uid<n>` or `*`). A push
 * is `id SP event SP STATUS SP data`; the older `* SP event NL data` (and `* SP event` alone)
 * is read with status OK.
 */
export function decodeServerPacket<B extends Uint8Array>(payload: B): Result<ServerPacket<B>> {
  const head = readIdAndName(payload, "event");
  if (!head.ok) return head;
  const { id, name, after } = head.value;
  if (isPushId(id)) {
    if (after.ending !== "space")
      return ok({ kind: "notification", event: name, status: "OK", data: slice(payload, after.next) });
    const rest = readStatusAndData(payload, after.next);
    if (!rest.ok) return rest;
    return ok({ kind: "notification", event: name, ...rest.value });
  }
  if (id.includes("*")) return fail("BADPACKET", "invalid character in packet id");
  if (after.ending !== "space") return fail("BADPACKET", "missing status word");
  const rest = readStatusAndData(payload, after.next);
  if (!rest.ok) return rest;
  return ok({ kind: "reply", id, command: name, ...rest.value });
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

/** Header, a space (always, as the original did), then the data. */
function assemble(header: string, data: PacketData | undefined): Uint8Array {
  // Headers are validated ASCII, so UTF-8 and Latin-1 give the same bytes.
  return concatBytes([utf8Bytes(header), SPACE, dataBytes(data)]);
}

/** `id SP command SP args`; `args`: raw bytes, or text fields joined with LF. */
export function encodeRequest(id: string, command: string, args?: Uint8Array | readonly string[]): Uint8Array {
  assertToken(id, "packet id", PROTOCOL_LIMITS.maxPacketIdBytes, isIdByte);
  if (isPushId(id)) throw new TypeError(`packet ids of the form p<digits>uid<digits> are reserved for pushes: ${id}`);
  assertToken(command, "command", PROTOCOL_LIMITS.maxCommandBytes, isNameByte);
  return assemble(`${id} ${command.toLowerCase()}`, args);
}

/** `id SP command SP STATUS SP data`. */
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

/** A push: `p<ms>uid<n> SP event SP STATUS SP data`, the original server's shape. */
export function encodeNotification(event: NotificationEvent, data?: PacketData, status: StatusWord = "OK"): Uint8Array {
  assertToken(event, "event", PROTOCOL_LIMITS.maxEventBytes, isNameByte);
  if (!isStatusWord(status)) throw new TypeError(`unknown status word: ${JSON.stringify(status)}`);
  return assemble(`${nextPushId()} ${event} ${status}`, data);
}

/**
 * The `error` push a server sends before closing on a protocol error: its status word is the
 * error's (TOOLARGE, BADPACKET, ...) and its data the one-line reason.
 */
export function encodeErrorNotification(error: ProtocolError): Uint8Array {
  return encodeNotification("error", oneLine(error.reason), error.status);
}

/**
 * The status word and reason of an `error` push: the packet's own status word (current
 * layout), or, from an older server (status OK), the data's `STATUS` LF `reason`.
 */
export function decodeErrorNotification(
  data: Uint8Array,
  status: StatusWord = "OK",
): Result<{ status: StatusWord; reason: string }> {
  if (status !== "OK") {
    const text = decodeUtf8Strict(data);
    return ok({ status, reason: text ?? "" });
  }
  const fields = splitFields(data, 2);
  if (!fields.ok) return fields;
  const [word, reason = ""] = fields.value;
  if (word === undefined || !isStatusWord(word)) return fail("BADPACKET", "error notification without a status word");
  return ok({ status: word, reason });
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
