// opengroovemessage:// links: "write a message to this user", like mailto:.
//   opengroovemessage://<host>:<port>/<username>?subject=<text>&body=<text>
// host:port is the user's realm id (the port is required); the username is percent-encoded
// UTF-8. parseMessageTarget also takes a plain user id ("host:port::username").
import { DomainError } from "../domain/errors.ts";
import { checkUsername, formatUserId, parseUserId } from "../domain/usernames.ts";

export const MESSAGE_URL_SCHEME = "opengroovemessage";
export const LINK_LIMITS = { urlMax: 8_192, subjectMax: 200, bodyMax: 4_000 } as const;

export interface MessageLink {
  realmId: string;
  host: string;
  port: number;
  username: string;
  /** realmId + "::" + username */
  userId: string;
  subject?: string;
  body?: string;
}

function bad(message: string): DomainError {
  return new DomainError("BADARGUMENTS", message, "to");
}

const EXAMPLE = `${MESSAGE_URL_SCHEME}://example.com:63745/alice?subject=Hello`;
// Control characters (C0, DEL, C1), line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw bad(`The ${what} in this link has broken %-encoding.`);
  }
}

function checkText(value: string, what: "subject" | "body", max: number): string {
  if (value.length > max) throw bad(`The ${what} in this link is longer than ${max} characters.`);
  if (what === "subject" && CONTROL.test(value))
    throw bad("The subject in this link contains line breaks or control characters.");
  if (what === "body" && /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value))
    throw bad("The body in this link contains control characters.");
  return value;
}

function checkHostPort(host: string, portText: string): { host: string; port: number } {
  if (!/^\d{1,5}$/.test(portText)) throw bad(`The port "${portText}" is not a number from 1 to 65535.`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad(`The port ${port} is not from 1 to 65535.`);
  if (host.startsWith("[")) {
    if (!/^\[[0-9a-fA-F:]+\]$/.test(host)) throw bad(`"${host}" is not a valid bracketed IPv6 address.`);
    return { host: host.toLowerCase(), port };
  }
  if (!host) throw bad("The link has no realm host.");
  if (
    host.length > 253 ||
    !/^[A-Za-z0-9.-]+$/.test(host) ||
    host.split(".").some((l) => !l || l.length > 63 || l.startsWith("-") || l.endsWith("-"))
  )
    throw bad(`"${host}" is not a valid host name (letters, digits, dots and hyphens).`);
  return { host: host.toLowerCase(), port };
}

/** Parses an opengroovemessage:// URL; throws DomainError(BADARGUMENTS, field "to") with a clear reason. */
export function parseMessageUrl(input: string): MessageLink {
  const raw = input.trim();
  if (raw.length > LINK_LIMITS.urlMax) throw bad(`This link is longer than ${LINK_LIMITS.urlMax} characters.`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(raw);
  if (!scheme || scheme[1].toLowerCase() !== MESSAGE_URL_SCHEME)
    throw bad(`This is not an ${MESSAGE_URL_SCHEME}:// link. It should look like ${EXAMPLE}`);
  const m = /^[^:]+:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/.exec(raw);
  if (!m) throw bad(`After "${MESSAGE_URL_SCHEME}:" the link needs "//" and the realm's host:port, e.g. ${EXAMPLE}`);
  const [, authority, path, query] = m;
  if (authority.includes("@")) throw bad(`Put the username after the realm, not before it: ${EXAMPLE}`);
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority)!;
  if (hp[2] === undefined || hp[2] === "") throw bad(`The link has no port: a realm is host:port, e.g. ${EXAMPLE}`);
  const { host, port } = checkHostPort(hp[1], hp[2]);

  const segments = path.split("/").slice(1);
  if (segments.length === 2 && segments[1] === "") segments.pop(); // one trailing slash is fine
  if (segments.length === 0 || segments[0] === "")
    throw bad(`The link names no user: add "/username" after the port, e.g. ${EXAMPLE}`);
  if (segments.length > 1) throw bad("The link has more than one path segment: it should be /username only.");
  const username = decode(segments[0], "username").normalize("NFKC");
  const nameError = checkUsername(username);
  if (nameError) throw bad(`The username "${username}" is not valid: ${nameError.message}`);

  const realmId = `${host}:${port}`;
  if (!parseUserId(formatUserId(realmId, username)))
    throw bad(`"${formatUserId(realmId, username)}" is not a valid user id.`);
  const link: MessageLink = { realmId, host, port, username, userId: formatUserId(realmId, username) };
  for (const pair of (query ?? "").split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const key = decode((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, " "), "parameter name");
    const value = decode((eq < 0 ? "" : pair.slice(eq + 1)).replace(/\+/g, " "), key);
    if (key === "subject" || key === "body") {
      if (link[key] !== undefined) throw bad(`The link gives the ${key} twice.`);
      link[key] = checkText(value, key, key === "subject" ? LINK_LIMITS.subjectMax : LINK_LIMITS.bodyMax);
    }
    // Other parameters are ignored, so newer links still open in older clients.
  }
  return link;
}

/** Accepts a user id ("host:port::username") or an opengroovemessage:// URL. */
export function parseMessageTarget(input: string): MessageLink {
  const raw = input.trim();
  if (!raw) throw bad(`Give a user id (host:port::username) or an ${MESSAGE_URL_SCHEME}:// link.`);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(raw)) return parseMessageUrl(raw);
  const id = parseUserId(raw.normalize("NFKC"));
  if (!id) {
    if (!raw.includes("::"))
      throw bad(
        `"${raw}" is not a user id: a user id is the realm's host:port, "::", then the username, e.g. example.com:63745::alice`,
      );
    const name = raw.slice(raw.lastIndexOf("::") + 2);
    const nameError = checkUsername(name);
    if (nameError) throw bad(`The username "${name}" is not valid: ${nameError.message}`);
    throw bad(
      `"${raw.slice(0, raw.lastIndexOf("::"))}" is not a realm id: it should be host:port, e.g. example.com:63745`,
    );
  }
  const { host, port } = checkHostPort(id.host, String(id.port));
  const realmId = `${host}:${port}`;
  return { realmId, host, port, username: id.username, userId: formatUserId(realmId, id.username) };
}

function encodeText(s: string): string {
  return encodeURIComponent(s);
}

/** Formats a link; validates like the parser, so what it makes always parses back. */
export function formatMessageUrl(
  target: { userId: string } | { realmId: string; username: string },
  opts: { subject?: string; body?: string } = {},
): string {
  const userId = "userId" in target ? target.userId : formatUserId(target.realmId, target.username);
  const t = parseMessageTarget(userId);
  let url = `${MESSAGE_URL_SCHEME}://${t.realmId}/${encodeURIComponent(t.username)}`;
  const params: string[] = [];
  if (opts.subject) params.push(`subject=${encodeText(checkText(opts.subject, "subject", LINK_LIMITS.subjectMax))}`);
  if (opts.body) params.push(`body=${encodeText(checkText(opts.body, "body", LINK_LIMITS.bodyMax))}`);
  if (params.length) url += `?${params.join("&")}`;
  return url;
}
