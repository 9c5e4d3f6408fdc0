// Addresses on the command line: realm ids (`host:port`, for register), user ids
// (`host:port::username`) and message links (`opengroovemessage://host:port/user?subject=`),
// the last two parsed by lib/links so the CLI and the web agree.
import { DomainError } from "../../lib/domain/errors.ts";
import { parseMessageTarget, MESSAGE_URL_SCHEME, type MessageLink } from "../../lib/links/opengroove-message-url.ts";
import { CliError, EXIT } from "./errors.ts";

export const DEFAULT_REALM_PORT = 63745;
export const MESSAGE_SCHEME = MESSAGE_URL_SCHEME;
const URL_HINT = `a message link looks like ${MESSAGE_SCHEME}://realm.example:63745/alice?subject=Hello`;
const ID_HINT = "a user id looks like realm.example:63745::alice";

export type UserAddress = Pick<MessageLink, "realmId" | "host" | "port" | "username" | "userId">;

function isLink(input: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(input.trim());
}

function parse(input: string): MessageLink {
  try {
    return parseMessageTarget(input);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    const link = isLink(input);
    throw new CliError(
      `bad ${link ? "message link" : "user id"} "${input}"`,
      "BADADDRESS",
      e.message,
      EXIT.usage,
      link ? URL_HINT : ID_HINT,
    );
  }
}

/** Parses `host[:port]` (a realm id; IPv6 in brackets; the port defaults to 63745). */
export function parseRealm(input: string): { realmId: string; host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(input.trim());
  const port = m?.[2] === undefined ? DEFAULT_REALM_PORT : Number(m[2]);
  if (!m || port < 1 || port > 65535)
    throw new CliError(
      `bad realm address "${input}"`,
      "BADADDRESS",
      "expected host:port, e.g. realm.example:63745",
      EXIT.usage,
      "the realm address is the part before :: in a user id",
    );
  const host = m[1].toLowerCase();
  return { realmId: `${host}:${port}`, host: host.replace(/^\[|\]$/g, ""), port };
}

/** Parses a user id (`host:port::username`); links are refused here. */
export function parseUserId(input: string): UserAddress {
  if (isLink(input))
    throw new CliError(
      `bad user id "${input}"`,
      "BADADDRESS",
      "expected host:port::username, not a link",
      EXIT.usage,
      ID_HINT,
    );
  const { realmId, host, port, username, userId } = parse(input);
  return { realmId, host: host.replace(/^\[|\]$/g, ""), port, username, userId };
}

/** A recipient given as a user id or a message link (with its optional subject and body). */
export function parseRecipient(input: string): { to: UserAddress; subject?: string; body?: string } {
  const l = parse(input);
  return {
    to: {
      realmId: l.realmId,
      host: l.host.replace(/^\[|\]$/g, ""),
      port: l.port,
      username: l.username,
      userId: l.userId,
    },
    subject: l.subject,
    body: l.body,
  };
}

export const DEFAULT_MANAGEMENT_PORT = 63746;

/** A management server's client port, `host[:port]` (default 63746). */
export function parseManagementAddress(input: string): { address: string; host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(input.trim());
  const port = m?.[2] === undefined ? DEFAULT_MANAGEMENT_PORT : Number(m[2]);
  if (!m || port < 1 || port > 65535)
    throw new CliError(
      `bad management server address "${input}"`,
      "BADADDRESS",
      "expected host:port, e.g. directory.example:63746",
      EXIT.usage,
    );
  const host = m[1].toLowerCase();
  return { address: `${host}:${port}`, host: host.replace(/^\[|\]$/g, ""), port };
}
