// The one input rule for text arguments: a text field (a username, an id, a setting key or value,
// a search prefix, a password...) never contains a control character. NUL in particular cannot
// be stored in a PostgreSQL text column, so without this rule it reached the database and came
// back as INTERNALERROR; C0/C1 controls and DEL also have no business in names shown to other
// users. TAB is the one control allowed (free text such as setting values may hold it). Newlines
// never appear in a field: they separate fields. Binary data travels as trailing data, which this
// rule does not look at. The argument helpers of both daemons apply it to every field they hand
// to a handler, so handlers never see a field that breaks it.
import { fail, ok, type Result } from "./errors.ts";

// C0 controls except TAB, DEL, and the C1 controls.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

/** Whether text contains a character the text rule refuses. */
export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}

/** The fields unchanged, or BADARGUMENTS naming the first field (by name or position) that breaks the rule. */
export function checkTextFields(fields: readonly string[], names: readonly string[] = []): Result<string[]> {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const m = CONTROL.exec(f);
    if (m) {
      const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
      const name = names[i] ?? `field ${i + 1}`;
      return fail(
        "BADARGUMENTS",
        `${name} contains a control character (U+${code}), which text arguments may not hold`,
      );
    }
  }
  return ok([...fields]);
}
