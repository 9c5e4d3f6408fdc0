// Username and password rules, and the user id format (realm id + "::" + username).
import unhomoglyph from "unhomoglyph";
import { DomainError } from "./errors.ts";

export const ACCOUNT_LIMITS = {
  usernameMin: 3,
  usernameMax: 32,
  passwordMin: 10,
  passwordMax: 256,
} as const;

// Letters and digits of any script, plus _ . - ; no whitespace, no control characters, no ":".
const USERNAME_RE = /^[\p{L}\p{N}_.-]+$/u;

/** NFKC + lower case: "Alice", "ALICE" and "Ａｌｉｃｅ" all fold to "alice". */
export function caseFoldUsername(username: string): string {
  return username.normalize("NFKC").toLowerCase();
}

/**
 * The username key (users."usernameKey", unique per realm, and what every lookup by name
 * compares): the Unicode TR39 confusable skeleton of the case-folded name. Case folding and
 * NFKC make "Alice", "ALICE" and "Ａｌｉｃｅ" one name; the skeleton (NFD, the confusables.txt
 * mapping from the `unhomoglyph` package, NFD again) makes look-alikes from other scripts one
 * name too: "аlice" with a Cyrillic "а" has the key of "alice", so it cannot register next to
 * it. Changing this function changes stored keys: bump USERNAME_KEY_VERSION so the daemons
 * recompute them (lib/domain/username-keys.ts).
 */
export function foldUsername(username: string): string {
  return unhomoglyph(caseFoldUsername(username).normalize("NFD")).normalize("NFD");
}

/** The version of foldUsername that stored keys were computed with (see username-keys.ts). */
export const USERNAME_KEY_VERSION = 2;

export function checkUsername(raw: string): DomainError | null {
  const u = raw.normalize("NFKC");
  if (u.length < ACCOUNT_LIMITS.usernameMin || u.length > ACCOUNT_LIMITS.usernameMax)
    return new DomainError(
      "BADUSERNAME",
      `A username has ${ACCOUNT_LIMITS.usernameMin} to ${ACCOUNT_LIMITS.usernameMax} characters.`,
      "username",
    );
  if (u.includes("::")) return new DomainError("BADUSERNAME", 'A username cannot contain "::".', "username");
  if (!USERNAME_RE.test(u))
    return new DomainError(
      "BADUSERNAME",
      "A username may use letters, digits, _ . and - only (no spaces).",
      "username",
    );
  if (/^[.-]|[.-]$/.test(u))
    return new DomainError("BADUSERNAME", "A username cannot start or end with . or -.", "username");
  return null;
}

const COMMON = new Set([
  "password",
  "password1",
  "123456789",
  "1234567890",
  "qwertyuiop",
  "opengroove",
  "letmein123",
  "iloveyou12",
]);

export function checkPassword(password: string, username = ""): DomainError | null {
  if (password.length < ACCOUNT_LIMITS.passwordMin)
    return new DomainError(
      "BADPASSWORD",
      `A password has at least ${ACCOUNT_LIMITS.passwordMin} characters.`,
      "password",
    );
  if (password.length > ACCOUNT_LIMITS.passwordMax)
    return new DomainError(
      "BADPASSWORD",
      `A password has at most ${ACCOUNT_LIMITS.passwordMax} characters.`,
      "password",
    );
  const folded = password.toLowerCase();
  if (COMMON.has(folded))
    return new DomainError("BADPASSWORD", "This password is too common; choose another.", "password");
  if (new Set(password).size < 4)
    return new DomainError("BADPASSWORD", "Use at least four different characters.", "password");
  if (username && folded.includes(caseFoldUsername(username)))
    return new DomainError("BADPASSWORD", "The password must not contain the username.", "password");
  return null;
}

export interface ParsedUserId {
  realmId: string;
  host: string;
  port: number;
  username: string;
}

/** Parses "host:port::username". Returns null when malformed. */
export function parseUserId(userId: string): ParsedUserId | null {
  // The last "::": a username has no ":", an IPv6 realm host can ("[2001:db8::1]:63745::alice").
  const i = userId.lastIndexOf("::");
  if (i <= 0) return null;
  const realmId = userId.slice(0, i);
  const username = userId.slice(i + 2);
  const m = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(realmId);
  if (!m || checkUsername(username)) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { realmId, host: m[1], port, username };
}

export function formatUserId(realmId: string, username: string): string {
  return `${realmId}::${username}`;
}
