// Argument helpers shared by the command handlers: fields by count, integers, the caller. Every
// text field they return has passed the one text rule (lib/protocol/text-rule.ts): no control
// characters, so a NUL is BADARGUMENTS here rather than a database error later.
import {
  splitFields,
  splitExactFields,
  splitWithTrailingData,
  checkTextFields,
  ProtocolError,
  type FieldsWithData,
} from "../../lib/protocol/index.ts";
import type { Caller } from "../../lib/domain/messages.ts";
import type { RealmContext } from "./types.ts";

/** Exactly `count` newline-separated fields, or BADARGUMENTS naming them. */
export function fields(args: Buffer, names: readonly string[]): string[] {
  if (names.length === 0) return [];
  const r = splitExactFields(args, names.length);
  if (!r.ok)
    throw new ProtocolError(
      "BADARGUMENTS",
      `expected ${names.length} field(s): ${names.join(", ")} (${r.error.reason})`,
    );
  return text(r.value, names);
}

/** The text rule applied to fields a handler is about to use. */
export function text(values: readonly string[], names: readonly string[] = []): string[] {
  const r = checkTextFields(values, names);
  if (!r.ok) throw r.error;
  return r.value;
}

/** `names.length` text fields then trailing binary data whose length is the field at `lengthIndex`. */
export function fieldsWithData(args: Buffer, names: readonly string[], lengthIndex: number): FieldsWithData {
  const r = splitWithTrailingData(args, names.length, lengthIndex);
  if (!r.ok) throw new ProtocolError("BADARGUMENTS", `expected: ${names.join(", ")}, data (${r.error.reason})`);
  return { fields: text(r.value.fields, names), data: r.value.data };
}

/** URL-query arguments (registeraccount): each decoded value passes the text rule. */
export function queryArgs(args: Buffer): URLSearchParams {
  const q = new URLSearchParams(args.toString("utf8").trim());
  for (const [k, v] of q) text([k, v], ["parameter name", k]);
  return q;
}

/** Between min and max fields; missing trailing fields are "". */
export function optionalFields(args: Buffer, names: readonly string[], min: number): string[] {
  const r = splitFields(args);
  if (!r.ok) throw new ProtocolError("BADARGUMENTS", r.error.reason);
  const v = args.length === 0 ? [] : r.value;
  if (v.length < min || v.length > names.length)
    throw new ProtocolError(
      "BADARGUMENTS",
      `expected ${min === names.length ? names.length : `${min} to ${names.length}`} field(s): ${names.join(", ")}`,
    );
  while (v.length < names.length) v.push("");
  return text(v, names);
}

export function allLines(args: Buffer): string[] {
  if (args.length === 0) return [];
  const r = splitFields(args);
  if (!r.ok) throw new ProtocolError("BADARGUMENTS", r.error.reason);
  return text(r.value);
}

export function int(value: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d{1,16}$/.test(value) || Number(value) > max)
    throw new ProtocolError("BADARGUMENTS", `${name} must be a whole number from 0 to ${max}`);
  return Number(value);
}

export function caller(ctx: RealmContext): Caller {
  const s = ctx.session!;
  return { realmId: ctx.realm.id, userId: s.userId, fullId: s.fullId, computer: s.computer };
}
