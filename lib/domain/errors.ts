// Domain rules report failures with a status word from the one registry
// (lib/protocol/status.ts), so the wire, the web pages and the CLI speak the same codes.
import type { StatusWord } from "../protocol/status.ts";

export class DomainError extends Error {
  constructor(
    readonly code: StatusWord,
    message: string,
    /** Which input field is at fault, for forms. */
    readonly field?: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: DomainError };
