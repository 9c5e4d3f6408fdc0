// The one place where the CLI makes text safe for a terminal. Anything a server or another user
// chose (subjects, file names, user ids, workspace names, error reasons, a text body shown on a
// terminal) may hold ESC, BEL, CR or other control characters that would set the terminal's
// title or colours, move the cursor or fake table rows. Every string the CLI writes for people
// (ctx.out, ctx.note, error reports, table cells) goes through escapeControls, which shows
// such a character as a visible escape (\e, \a, \r, \x7f, \u202e...) instead.

// C0 controls except TAB and LF, DEL, C1 controls, and the bidirectional overrides/isolates
// (which reorder the text around them).
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_ONE_LINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\u001b": "\\e", "\u0007": "\\a", "\r": "\\r", "\n": "\\n", "\b": "\\b" };

function visible(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` with every control character shown as a visible escape. Newlines are kept unless
 * `oneLine` (for a value that must stay on its line: a table cell, a subject).
 */
export function escapeControls(text: string, oneLine = false): string {
  return text.replace(oneLine ? UNSAFE_ONE_LINE : UNSAFE, visible);
}

/** Output bytes for stdout: escaped when a person reads them (a terminal), untouched when piped. */
export function terminalSafe(data: string | Buffer, isTTY: boolean): string | Buffer {
  if (typeof data === "string") return escapeControls(data);
  return isTTY ? escapeControls(data.toString("utf8")) : data;
}
