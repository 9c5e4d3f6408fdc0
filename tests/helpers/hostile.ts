// Hostile input for the property tests and the chaos suite's fuzzers (chaos/fuzz-frames.ts):
// text fields as a hostile or broken client writes them.
import fc from "fast-check";

/** Terminal control sequences a hostile server or user may put in any text it chooses. */
export const TERMINAL_ESCAPES = [
  "\u001b[2J\u001b[H", // clear the screen
  "\u001b]0;pwned\u0007", // set the window title (OSC)
  "\u001b]8;;http://evil.test\u001b\\click\u001b]8;;\u001b\\", // hyperlink
  "\u009b31m", // 8-bit CSI
  "a\rb", // carriage return: overwrites the line
  "\u202eevil", // right-to-left override
  "x\u0008\u0008y", // backspaces
] as const;

/**
 * One text field: numbers at the edges, ids, control characters, NUL, invalid UTF-8 (binary
 * strings), non-BMP, terminal escapes, very long values and URL-query shapes.
 */
export const hostileField: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", "0", "-1", "1e309", "NaN", "18446744073709551616", "9007199254740993", " ", "\0", "\t", "laptop"),
  fc.integer().map(String),
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map(String),
  fc.constantFrom("plain.test:63999::fz00000", "plain.test:63999::fz00001-x", "realm.test:63745::nobody", "a::b::c"),
  fc.stringMatching(/^[a-z]{1,10}=[^&]{0,20}(&[a-z]{1,10}=[^&]{0,20}){0,3}$/),
  fc.constantFrom(...TERMINAL_ESCAPES),
  fc.constantFrom(300, 4_000, 40_000).map((n) => "x".repeat(n)),
  fc.constantFrom("\ud800", "\udfff", "%00", "%ff", "..", "../../etc/passwd", "\ufeff", "🎵".repeat(100)),
);
