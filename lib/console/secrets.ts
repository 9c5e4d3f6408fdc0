// One-time codes (invites, enrollment tokens): the code is shown once, only its sha256 is stored.
// The signup pages and the management daemon hash what they receive the same way to look it up.
import crypto from "node:crypto";

/** URL-safe random code with `bytes` bytes of entropy. */
export function newCode(bytes = 18): string {
  return crypto.randomBytes(bytes).toString("base64url");
}

/** Lower-case hex sha256 of the UTF-8 code: the value stored in codeHash / tokenHash. */
export function hashCode(code: string): string {
  return crypto.createHash("sha256").update(code, "utf8").digest("hex");
}

/** "ab12cd..." -> "AB:12:CD:..." for display. */
export function formatFingerprint(hex: string): string {
  return hex.replace(/[^0-9a-f]/gi, "").toUpperCase().match(/.{1,2}/g)?.join(":") ?? hex;
}
