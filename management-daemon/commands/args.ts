// Argument helpers for management commands.
import { splitExactFields, checkTextFields, ProtocolError } from "../../lib/protocol/index.ts";
import { DomainError } from "../../lib/domain/errors.ts";
import { keyValues } from "../session.ts";
import type { RealmMetadata } from "../registry.ts";

export function fields(args: Buffer, names: readonly string[]): string[] {
  const r = splitExactFields(args, names.length);
  if (!r.ok) throw new ProtocolError("BADARGUMENTS", `expected ${names.length} field(s): ${names.join(", ")}`);
  // The one text rule (lib/protocol/text-rule.ts): no control characters in a text field.
  const t = checkTextFields(r.value, names);
  if (!t.ok) throw t.error;
  return t.value;
}

export function required(kv: Map<string, string>, key: string): string {
  const v = kv.get(key);
  if (!v) throw new DomainError("BADARGUMENTS", `missing ${key}=`);
  return v;
}

export function pemField(kv: Map<string, string>, key: string, maxBytes: number, optional = false): string {
  const v = kv.get(key) ?? "";
  if (!v) {
    if (optional) return "";
    throw new DomainError("BADARGUMENTS", `missing ${key}= (base64 of a PEM)`);
  }
  if (v.length > Math.ceil((maxBytes * 4) / 3) + 4) throw new DomainError("BADARGUMENTS", `${key} is too large`);
  return Buffer.from(v, "base64").toString("utf8");
}

/** Realm metadata lines of enroll and heartbeat: address, name, description, registration, captcha, signupurl. */
export function metadata(args: Buffer, maxBytes: number): RealmMetadata {
  const kv = keyValues(args);
  const text = (k: string) => {
    const v = (kv.get(k) ?? "").replace(/[\u0000-\u001f]/g, " ").trim();
    if (Buffer.byteLength(v) > maxBytes) throw new DomainError("BADARGUMENTS", `${k} is longer than ${maxBytes} bytes`);
    return v;
  };
  const address = text("address");
  if (!/^[A-Za-z0-9.:[\]-]+:\d{1,5}$/.test(address))
    throw new DomainError(
      "BADARGUMENTS",
      "address: expected host:port where this realm accepts realm-to-realm connections",
    );
  const reg = text("registration").toUpperCase();
  return {
    address,
    name: text("name") || "(unnamed realm)",
    description: text("description"),
    registrationMode: reg === "OPEN" || reg === "INVITE" ? reg : "CLOSED",
    captchaRequired: text("captcha") === "true",
    signupUrl: text("signupurl"),
  };
}

export { keyValues };
