// Reply and argument text made of lines, and the `key=value` lines many commands use
// (getserverinfo, getquotas, getmessageinfo, hello, enroll, ...). The one parser for them:
// the SDK, the browser mailbox, the federation links and the management daemon all use it.
// Uint8Array and strings only, so it runs in the browser too.
import { bytesToText } from "./bytes.ts";

/** Lines of a reply or argument text: split at CR, LF or CRLF; no text gives no lines. */
export function textLines(text: string): string[] {
  return text === "" ? [] : text.split(/\r\n|\r|\n/);
}

/**
 * `key=value` lines into a map: the first `=` splits, so values may contain `=`; lines
 * without a key (no `=`, or one at the start) are skipped; a repeated key keeps the last value.
 * Unknown keys are kept: callers ignore them, so newer peers can add keys.
 */
export function keyValueMap(lines: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf("=");
    if (i > 0) out.set(l.slice(0, i), l.slice(i + 1));
  }
  return out;
}

/** keyValueMap as a plain record (for `kv.userid ?? ""`-style reading). */
export function keyValueLines(lines: readonly string[]): Record<string, string> {
  return Object.fromEntries(keyValueMap(lines));
}

/** `key=value` lines straight from packet bytes (invalid UTF-8 becomes U+FFFD). */
export function keyValuesOf(data: Uint8Array): Map<string, string> {
  return keyValueMap(textLines(bytesToText(data)));
}
