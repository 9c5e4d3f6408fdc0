// Length-prefixed framing (docs/protocol.md section 3): uint32 big-endian length, then that
// many payload bytes, 0 < length <= maxPacketBytes.
//
// The parser is push-style: `push(chunk)` returns the frames completed by that chunk. Bodies
// split over several chunks are collected as a list of slices and concatenated once when
// complete, so a 1 MiB packet arriving in 1-byte chunks costs O(n), not O(n^2). The length is
// validated the moment its 4 bytes are known, so an oversized body is never buffered.
import { ProtocolError } from "./errors.ts";
import { PROTOCOL_LIMITS } from "./limits.ts";
import { concatBytes } from "./bytes.ts";

const HEADER_BYTES = PROTOCOL_LIMITS.lengthPrefixBytes;

export enum FrameParserMode {
  /** Waiting for (the rest of) a 4-byte length prefix. */
  Header = "header",
  /** Collecting a payload. */
  Body = "body",
  /** Bad input; every further push returns the same error and no frames. */
  Error = "error",
}

/** A frame is its payload: the bytes after the length prefix. */
export type Frame = Uint8Array;

export interface FrameParseResult {
  /** Frames completed by this push, in order. They may share memory with the pushed chunks. */
  readonly frames: Frame[];
  /** Set when the stream is bad; the connection should be closed (after reporting it). */
  readonly error: ProtocolError | null;
}

export interface FrameParserOptions {
  /** Largest accepted payload, in bytes. Default 1 MiB. */
  maxPacketBytes?: number;
}

function resolveMax(max: number | undefined): number {
  const value = max ?? PROTOCOL_LIMITS.defaultMaxPacketBytes;
  if (!Number.isSafeInteger(value) || value < 1 || value > PROTOCOL_LIMITS.maxLengthPrefixValue) {
    throw new RangeError(
      `maxPacketBytes must be an integer in 1..${PROTOCOL_LIMITS.maxLengthPrefixValue}, got ${value}`,
    );
  }
  return value;
}

/**
 * Checks a payload length against the rules of section 3. Also for WebSocket, where each
 * binary message is one payload without a prefix. Returns null when acceptable.
 */
export function checkPayloadLength(
  length: number,
  maxPacketBytes: number = PROTOCOL_LIMITS.defaultMaxPacketBytes,
): ProtocolError | null {
  if (length === 0) return new ProtocolError("BADPACKET", "zero-length packet");
  if (length > maxPacketBytes) {
    return new ProtocolError("TOOLARGE", `packet of ${length} bytes exceeds the limit of ${maxPacketBytes} bytes`);
  }
  return null;
}

export class FrameParser {
  readonly maxPacketBytes: number;
  #mode: FrameParserMode = FrameParserMode.Header;
  #error: ProtocolError | null = null;
  /** Partial length prefix, when it is split across chunks. */
  readonly #header = new Uint8Array(HEADER_BYTES);
  readonly #headerView = new DataView(this.#header.buffer);
  #headerFill = 0;
  /** Length of the frame being collected, and how many of its bytes are still missing. */
  #bodyLength = 0;
  #bodyMissing = 0;
  /** Slices of the current frame's body, concatenated once when it is complete. */
  #parts: Uint8Array[] = [];

  constructor(options: FrameParserOptions = {}) {
    this.maxPacketBytes = resolveMax(options.maxPacketBytes);
  }

  get mode(): FrameParserMode {
    return this.#mode;
  }

  get error(): ProtocolError | null {
    return this.#error;
  }

  /** Bytes held towards an incomplete frame (prefix and body). 0 between frames. */
  get bufferedBytes(): number {
    if (this.#mode === FrameParserMode.Header) return this.#headerFill;
    if (this.#mode === FrameParserMode.Body) return HEADER_BYTES + this.#bodyLength - this.#bodyMissing;
    return 0;
  }

  /**
   * Consumes a chunk and returns the frames it completed. Never throws for bad input: on a
   * zero or oversized length it returns the frames completed before it plus the error, and
   * stays in Error mode. Chunks must not be mutated after being pushed (slices are kept).
   */
  push(chunk: Uint8Array): FrameParseResult {
    if (this.#mode === FrameParserMode.Error) return { frames: [], error: this.#error };
    const frames: Frame[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.#mode === FrameParserMode.Header) {
        let length: number;
        if (this.#headerFill === 0 && chunk.length - i >= HEADER_BYTES) {
          // Fast path: whole prefix in this chunk.
          length = readUint32(chunk, i);
          i += HEADER_BYTES;
        } else {
          const take = Math.min(HEADER_BYTES - this.#headerFill, chunk.length - i);
          this.#header.set(chunk.subarray(i, i + take), this.#headerFill);
          this.#headerFill += take;
          i += take;
          if (this.#headerFill < HEADER_BYTES) break;
          this.#headerFill = 0;
          length = this.#headerView.getUint32(0);
        }
        const bad = checkPayloadLength(length, this.maxPacketBytes);
        if (bad) {
          this.#mode = FrameParserMode.Error;
          this.#error = bad;
          return { frames, error: bad };
        }
        this.#bodyLength = length;
        this.#bodyMissing = length;
        this.#mode = FrameParserMode.Body;
      } else {
        const available = chunk.length - i;
        if (this.#parts.length === 0 && available >= this.#bodyMissing) {
          // Fast path: whole body in this chunk; no copy.
          frames.push(chunk.subarray(i, i + this.#bodyMissing));
          i += this.#bodyMissing;
          this.#mode = FrameParserMode.Header;
          continue;
        }
        const take = Math.min(this.#bodyMissing, available);
        this.#parts.push(chunk.subarray(i, i + take));
        this.#bodyMissing -= take;
        i += take;
        if (this.#bodyMissing === 0) {
          frames.push(concatBytes(this.#parts, this.#bodyLength));
          this.#parts = [];
          this.#mode = FrameParserMode.Header;
        }
      }
    }
    return { frames, error: null };
  }
}

/** Prefixes a payload with its length. Throws (programmer error) for an empty or oversized payload. */
export function encodeFrame(
  payload: Uint8Array,
  maxPacketBytes: number = PROTOCOL_LIMITS.defaultMaxPacketBytes,
): Uint8Array {
  const bad = checkPayloadLength(payload.length, resolveMax(maxPacketBytes));
  if (bad) throw new RangeError(`cannot encode frame: ${bad.reason}`);
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Big-endian uint32 at `at` (the caller checked that 4 bytes are there). */
function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
