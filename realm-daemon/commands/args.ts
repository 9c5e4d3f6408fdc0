// Argument helpers shared by the command handlers: fields by count, integers, the caller.
import { splitFields, splitExactFields, ProtocolError } from "../../lib/protocol/index.ts";
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
  return r.value;
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
  return v;
}

export function allLines(args: Buffer): string[] {
  if (args.length === 0) return [];
  const r = splitFields(args);
  if (!r.ok) throw new ProtocolError("BADARGUMENTS", r.error.reason);
  return r.value;
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
