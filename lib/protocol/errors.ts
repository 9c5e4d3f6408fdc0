// The one error type of the protocol layer, and the typed result the parsers return.
// Parsers never throw for bad *input*: they hand back a Failure carrying a ProtocolError,
// whose status word the daemon can put on the wire before closing. Throwing is reserved for
// programmer errors (e.g. encoding a packet with an invalid id).
import { STATUS_WORDS, type StatusWord } from "./status.ts";

export class ProtocolError extends Error {
  readonly status: StatusWord;
  /** Human-readable, one line; safe to send to the peer. */
  readonly reason: string;

  constructor(status: StatusWord, reason: string) {
    super(`${status}: ${reason}`);
    this.name = "ProtocolError";
    this.status = status;
    this.reason = reason;
  }

  /** Whether the connection must be closed after reporting this error. */
  get closesConnection(): boolean {
    return STATUS_WORDS[this.status].closesConnection;
  }
}

export interface Success<T> {
  readonly ok: true;
  readonly value: T;
}

export interface Failure {
  readonly ok: false;
  readonly error: ProtocolError;
}

export type Result<T> = Success<T> | Failure;

export function ok<T>(value: T): Success<T> {
  return { ok: true, value };
}

export function fail(status: StatusWord, reason: string): Failure {
  return { ok: false, error: new ProtocolError(status, reason) };
}
