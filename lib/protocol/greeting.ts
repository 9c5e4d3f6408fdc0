// Greeting and sync (docs/protocol.md section 2), as pure streaming parsers over Uint8Array
// (no Buffer API, so the same code runs in the browser).
//
//   client -> server   "OpenGroove[ words]" NL   then the sync byte "c"
//   server -> client   "OpenGrooveServer" CRLF   then, after it has seen the client's "c", "c"
//
// A newline is CR, LF or CRLF. A stream parser cannot know whether a CR will be followed by
// an LF, which is why the sync byte exists: the line ends at the first CR or LF, and the
// parser then skips any CR/LF bytes until the "c". That also makes a CR at the end of one
// chunk and its LF at the start of the next work without special-casing.
//
// Both parsers walk byte by byte and keep no more than one line (<= maxLineBytes) buffered.
import { ProtocolError, ok, fail, type Result } from "./errors.ts";
import { PROTOCOL_LIMITS } from "./limits.ts";
import { isStatusWord } from "./status.ts";
import { concatBytes, decodeUtf8Strict, latin1Bytes, utf8Bytes, utf8Length } from "./bytes.ts";

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const DEL = 0x7f;
const SYNC_CHAR = 0x63; // "c"

const GREETING_WORD = "OpenGroove";
/** Lower-case bytes of GREETING_WORD, for case-insensitive matching while scanning. */
const GREETING_WORD_LOWER = latin1Bytes(GREETING_WORD.toLowerCase());
const SERVER_WORD = "OpenGrooveServer";

/** What the server sends in answer to a valid greeting line. Do not mutate. */
export const SERVER_GREETING: Uint8Array = latin1Bytes(`${SERVER_WORD}\r\n`);
/** The sync byte "c" (0x63): sent by the client after its greeting, and by the server after it has seen the client's. Do not mutate. */
export const SYNC_BYTE: Uint8Array = new Uint8Array([SYNC_CHAR]);

export enum GreetingMode {
  /** Reading the greeting line. */
  Greeting = "greeting",
  /** Line complete; skipping CR/LF until the sync byte. */
  Sync = "sync",
  /** Sync byte seen; further bytes belong to the packet stream (feed them to a FrameParser). */
  Done = "done",
  /** Bad input; the parser refuses everything from now on. */
  Error = "error",
}

/** Events returned by `feed`, in stream order. An "error" event is always the last one. */
export type GreetingEvent<T> =
  /** The greeting line is complete (the server should now answer SERVER_GREETING, or refuse e.g. NOSUCHREALM). */
  | { readonly type: "greeting"; readonly greeting: T }
  /** The sync byte arrived. `leftover` = bytes after it in the same chunk: the start of the packet stream (may be empty; shares memory with the chunk). */
  | { readonly type: "done"; readonly greeting: T; readonly leftover: Uint8Array }
  | { readonly type: "error"; readonly error: ProtocolError };

/** What the server learns from a client's greeting. */
export interface ClientGreeting {
  /** Words after `OpenGroove`, e.g. `["trivergia"]` or `["realm", "trivergia"]`; empty when none. */
  readonly words: string[];
}

/** What the client learns from the server's greeting: only the line as sent. */
export interface ServerGreeting {
  readonly line: string;
}

export interface GreetingParserOptions {
  /** Longest accepted line, in bytes, including one newline byte. Default 256. */
  maxLineBytes?: number;
}

const decodeUtf8 = decodeUtf8Strict;

function isControl(b: number): boolean {
  return b < SP || b === DEL;
}

/** Shared state machine: one line (with a limit and early per-byte checks), then CR/LF* "c". */
abstract class LineThenSyncParser<T> {
  #mode: GreetingMode = GreetingMode.Greeting;
  readonly #maxLineBytes: number;
  /** Line content without the newline; at most maxLineBytes - 1 bytes, allocated once. */
  readonly #line: Uint8Array;
  #lineLength = 0;
  #greeting: T | null = null;
  #error: ProtocolError | null = null;

  protected constructor(options: GreetingParserOptions) {
    const max = options.maxLineBytes ?? PROTOCOL_LIMITS.maxGreetingLineBytes;
    if (!Number.isSafeInteger(max) || max < 2) throw new RangeError(`maxLineBytes must be an integer >= 2, got ${max}`);
    this.#maxLineBytes = max;
    this.#line = new Uint8Array(max - 1);
  }

  /** Called for every non-newline byte before it is stored; return an error to reject early. */
  protected abstract checkByte(byte: number, index: number): ProtocolError | null;
  /** Called with the complete line (without its newline). */
  protected abstract finishLine(line: Uint8Array): Result<T>;

  get mode(): GreetingMode {
    return this.#mode;
  }

  /** The error that put the parser in Error mode, if any. */
  get error(): ProtocolError | null {
    return this.#error;
  }

  /** The parsed greeting line, once the "greeting" event has been emitted. */
  get greeting(): T | null {
    return this.#greeting;
  }

  /**
   * Feeds the next chunk. Never throws for bad input: problems come back as an "error" event
   * and the parser stays in Error mode (feeding again returns the same error). Throws only if
   * called after Done, which is a caller bug: those bytes belong to the frame parser.
   */
  feed(chunk: Uint8Array): GreetingEvent<T>[] {
    if (this.#mode === GreetingMode.Error && this.#error) return [{ type: "error", error: this.#error }];
    if (this.#mode === GreetingMode.Done) {
      throw new Error("greeting already complete: feed further bytes to the frame parser");
    }
    const events: GreetingEvent<T>[] = [];
    let i = 0;
    if (this.#mode === GreetingMode.Greeting) {
      for (; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (b === CR || b === LF) {
          const r = this.finishLine(this.#line.subarray(0, this.#lineLength));
          if (!r.ok) return this.#fail(events, r.error);
          this.#greeting = r.value;
          events.push({ type: "greeting", greeting: r.value });
          this.#mode = GreetingMode.Sync;
          // The newline byte itself is consumed; an LF after a CR is skipped by Sync mode.
          i++;
          break;
        }
        const bad = this.checkByte(b, this.#lineLength);
        if (bad) return this.#fail(events, bad);
        // Checked before storing, so an endless line is refused without buffering beyond the limit.
        if (this.#lineLength + 1 >= this.#maxLineBytes) {
          return this.#fail(events, new ProtocolError("BADGREETING", "greeting too long"));
        }
        this.#line[this.#lineLength++] = b;
      }
    }
    if (this.#mode === GreetingMode.Sync) {
      for (; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (b === CR || b === LF) continue;
        if (b === SYNC_CHAR) {
          this.#mode = GreetingMode.Done;
          events.push({ type: "done", greeting: this.#greeting as T, leftover: chunk.subarray(i + 1) });
          return events;
        }
        return this.#fail(events, new ProtocolError("BADGREETING", "expected sync byte 'c' after the greeting"));
      }
    }
    return events;
  }

  #fail(events: GreetingEvent<T>[], error: ProtocolError): GreetingEvent<T>[] {
    this.#mode = GreetingMode.Error;
    this.#error = error;
    events.push({ type: "error", error });
    return events;
  }
}

/**
 * Server side: parses the client's `OpenGroove[ words]` NL, CR/LF*, `c`.
 * A first line that cannot start with `OpenGroove` (e.g. `GET / HTTP/1.1`) is refused at the
 * first byte that rules the prefix out, without waiting for the newline.
 */
export class GreetingParser extends LineThenSyncParser<ClientGreeting> {
  constructor(options: GreetingParserOptions = {}) {
    super(options);
  }

  protected checkByte(byte: number, index: number): ProtocolError | null {
    if (index < GREETING_WORD_LOWER.length) {
      const folded = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
      if (folded !== GREETING_WORD_LOWER[index]) return notAGreeting();
      return null;
    }
    // "OpenGrooveServer", "OpenGroove\t..." and the like are not greetings.
    if (index === GREETING_WORD_LOWER.length && byte !== SP) return notAGreeting();
    if (isControl(byte)) return new ProtocolError("BADGREETING", "control character in greeting");
    return null;
  }

  protected finishLine(line: Uint8Array): Result<ClientGreeting> {
    if (line.length < GREETING_WORD_LOWER.length) return { ok: false, error: notAGreeting() };
    const rest = decodeUtf8(line.subarray(GREETING_WORD_LOWER.length));
    if (rest === null) return fail("BADGREETING", "greeting is not valid UTF-8");
    // The spec says "one space and extra words"; we are lenient about runs of spaces and a
    // trailing space, which carry no meaning.
    return ok({ words: rest.split(" ").filter((w) => w !== "") });
  }
}

function notAGreeting(): ProtocolError {
  return new ProtocolError("BADGREETING", `expected an ${GREETING_WORD} greeting`);
}

/**
 * Client side: parses the server's `OpenGrooveServer` NL, CR/LF*, `c`. If the server refuses
 * with `ERROR <STATUS> <text>`, the error event carries that status word and text.
 */
export class ServerGreetingParser extends LineThenSyncParser<ServerGreeting> {
  constructor(options: GreetingParserOptions = {}) {
    super(options);
  }

  protected checkByte(byte: number): ProtocolError | null {
    if (isControl(byte)) return new ProtocolError("BADGREETING", "control character in server greeting");
    return null;
  }

  protected finishLine(line: Uint8Array): Result<ServerGreeting> {
    const text = decodeUtf8(line);
    if (text === null) return fail("BADGREETING", "server greeting is not valid UTF-8");
    if (text.toLowerCase() === SERVER_WORD.toLowerCase()) return ok({ line: text });
    const refused = /^ERROR(?: +(\S+)(?: (.*))?)?$/.exec(text);
    if (refused) {
      const word = refused[1] ?? "";
      const reason = refused[2] ?? "";
      if (isStatusWord(word)) return fail(word, reason || "refused by server");
      return fail("BADGREETING", `server refused: ${text}`);
    }
    return fail("BADGREETING", "unexpected server greeting");
  }
}

/**
 * The client's greeting: `OpenGroove[ words]` CRLF followed by the sync byte `c`.
 * Throws (programmer error) for empty words, words with spaces or control characters, or a
 * line longer than 256 bytes including the CRLF.
 */
export function encodeClientGreeting(words: readonly string[] = []): Uint8Array {
  for (const w of words) {
    if (w === "" || /[\s\u0000-\u001f\u007f]/.test(w)) {
      throw new TypeError(`invalid greeting word ${JSON.stringify(w)}`);
    }
  }
  const line = [GREETING_WORD, ...words].join(" ") + "\r\n";
  const bytes = utf8Bytes(line);
  if (bytes.length > PROTOCOL_LIMITS.maxGreetingLineBytes) {
    throw new RangeError(
      `greeting line is ${bytes.length} bytes; the limit is ${PROTOCOL_LIMITS.maxGreetingLineBytes}`,
    );
  }
  return concatBytes([bytes, SYNC_BYTE]);
}

/**
 * The line a server sends before closing during the greeting: `ERROR <STATUS> <reason>` CRLF
 * (e.g. `ERROR BADGREETING greeting too long`, `ERROR TIMEOUT`). Control characters in the
 * reason become spaces, and the reason is shortened so the line fits the greeting limit.
 */
export function encodeGreetingError(error: ProtocolError): Uint8Array {
  let reason = error.reason.replace(/[\u0000-\u001f\u007f]/g, " ").trim();
  const head = `ERROR ${error.status}`;
  const room = PROTOCOL_LIMITS.maxGreetingLineBytes - 2 - utf8Length(head) - 1;
  if (utf8Length(reason) > room) {
    // Cut by code points, so a multi-byte character is never split.
    const chars = Array.from(reason);
    let bytes = utf8Length(reason);
    while (bytes > room) bytes -= utf8Length(chars.pop() ?? "");
    reason = chars.join("").trim();
  }
  return utf8Bytes(reason ? `${head} ${reason}\r\n` : `${head}\r\n`);
}
