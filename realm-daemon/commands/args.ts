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
import { asBuffer } from "../../lib/protocol/node-bytes.ts";
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
export function fieldsWithData(
  args: Buffer,
  names: readonly string[],
  lengthIndex: number,
): FieldsWithData & { data: Buffer } {
  const r = splitWithTrailingData(args, names.length, lengthIndex);
  if (!r.ok) throw new ProtocolError("BADARGUMENTS", `expected: ${names.join(", ")}, data (${r.error.reason})`);
  // The codec hands out Uint8Array views; the daemon's storage code takes Buffers (zero-copy).
  return { fields: text(r.value.fields, names), data: asBuffer(r.value.data) };
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

/** One message id per line (blank lines ignored), 1 to `max` of them: deletemessages, readmessages. */
export function idLines(args: Buffer, max: number): string[] {
  const ids = allLines(args).filter((l) => l.trim());
  if (ids.length === 0 || ids.length > max)
    throw new ProtocolError("BADARGUMENTS", `expected 1 to ${max} message ids, one per line`);
  return ids;
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

// ---------------------------------------------------------------------------------------------
// The original client's argument layouts (docs/protocol.md section 6, "original bytes").

/** The original client's default port: a realm name without a port meant `<name>:63745`. */
export const ORIGINAL_DEFAULT_PORT = 63745;

export interface AuthenticateArgs {
  /** The original's first field, `normal` or `channel`; undefined in the three-field form. */
  connectionType?: string;
  name: string;
  computer: string;
  password: string;
}

/**
 * authenticate: `username LF computer LF password`, or the original's four fields
 * `type LF username LF computer LF password` (type `normal` or `channel`). The original server
 * trimmed every field; so do we for the name, computer and type (a password never has control
 * characters, and a leading or trailing space is kept as typed).
 */
export function authenticateArgs(args: Buffer): AuthenticateArgs {
  const r = splitFields(args);
  if (!r.ok) throw new ProtocolError("BADARGUMENTS", r.error.reason);
  const v = r.value;
  if (v.length === 4) {
    const [connectionType, name, computer, password] = text(v, ["connection type", "username", "computer", "password"]);
    return {
      connectionType: connectionType!.trim().toLowerCase(),
      name: name!.trim(),
      computer: computer!.trim(),
      password: password!,
    };
  }
  if (v.length === 3) {
    const [name, computer, password] = text(v, ["username", "computer", "password"]);
    return { name: name!, computer: computer!, password: password! };
  }
  throw new ProtocolError(
    "BADARGUMENTS",
    `expected 3 fields (username, computer, password) or the original 4 (normal|channel, username, computer, password), got ${v.length}`,
  );
}

/**
 * `count` space-separated tokens, then raw bytes: the original's layout for
 * `writemessagedata id SP offset SP length SP data` and `sendimessage id SP user SP computer SP
 * text`. True when the arguments use it: the first space comes before any newline (the fields
 * it carries — message ids, user ids, computer names — never contain either).
 */
export function isSpaceLayout(args: Buffer): boolean {
  const sp = args.indexOf(0x20);
  if (sp < 0) return false;
  const lf = args.indexOf(0x0a);
  const cr = args.indexOf(0x0d);
  return (lf < 0 || sp < lf) && (cr < 0 || sp < cr);
}

/** The first `names.length` space-separated tokens and the bytes after the last of their spaces. */
export function spaceFieldsWithData(args: Buffer, names: readonly string[]): { fields: string[]; data: Buffer } {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < names.length; i++) {
    const sp = args.indexOf(0x20, at);
    if (sp < 0)
      throw new ProtocolError(
        "BADARGUMENTS",
        `expected: ${names.join(" SP ")} SP data (missing a space after ${names[i]})`,
      );
    out.push(args.subarray(at, sp).toString("utf8"));
    at = sp + 1;
  }
  return { fields: text(out, names), data: args.subarray(at) };
}

/** The realm names an original client may have used for this realm: its id, and its host when on 63745. */
function originalRealmNames(ctx: RealmContext): string[] {
  const names = [ctx.realm.id.toLowerCase()];
  if (ctx.realm.port === ORIGINAL_DEFAULT_PORT) names.push(ctx.realm.host.toLowerCase());
  return names;
}

/**
 * A user id as the original wrote it, `realm:username` (one colon; the realm being the host
 * the original client resolved, so `host` means `host:63745`), or `host:port:username`, turned
 * into ours, `host:port::username`. Usernames never contain `:` and our ids always contain
 * `::`, so the forms cannot be confused. Anything else (our form, a bare username, "") is
 * returned unchanged for the domain to judge.
 */
export function userIdArg(value: string): string {
  if (value.includes("::")) return value;
  const at = value.lastIndexOf(":");
  if (at <= 0 || at === value.length - 1) return value;
  const realm = value.slice(0, at);
  const username = value.slice(at + 1);
  return /:\d{1,5}$/.test(realm) ? `${realm}::${username}` : `${realm}:${ORIGINAL_DEFAULT_PORT}::${username}`;
}

/**
 * A message id of the caller's in the original form (`realm:username-...`, the original's user
 * id then a hyphen) as ours (`host:port::username-...`). Only the caller's own prefix is
 * rewritten: that is the one case where the username's end is known (usernames may contain
 * hyphens). Other ids are returned unchanged.
 */
export function messageIdArg(ctx: RealmContext, id: string): string {
  const s = ctx.session;
  if (!s || id.includes("::")) return id;
  const lower = id.toLowerCase();
  for (const realm of originalRealmNames(ctx)) {
    const prefix = `${realm}:${s.username.toLowerCase()}-`;
    if (lower.startsWith(prefix) && id.length > prefix.length) return `${s.fullId}-${id.slice(prefix.length)}`;
  }
  return id;
}
