// CLI failures: one clear line on stderr (`opengroove: <what failed>: <STATUS> <reason>`), an
// optional hint line, and an exit code by kind (2 usage, 3 auth, 4 not found, 5 quota, 1 other).
import { escapeControls } from "./safe-text.ts";
import { OpenGrooveError } from "../sdk/index.ts";

export const EXIT = { ok: 0, other: 1, usage: 2, auth: 3, notFound: 4, quota: 5 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    /** What was being done, e.g. "sending the message". */
    readonly what: string,
    /** The status word (server or local) and reason. */
    readonly status: string,
    readonly reason: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
  ) {
    super(`${what}: ${status} ${reason}`);
    this.name = "CliError";
  }
}

export function usageError(reason: string, hint?: string): CliError {
  return new CliError("usage", "BADARGUMENTS", reason, EXIT.usage, hint);
}

const AUTH = new Set(["BADAUTH", "UNAUTHORIZED", "BADCOMPUTER", "NOTLOGGEDIN", "FINGERPRINT"]);
const NOT_FOUND = new Set([
  "NOSUCHUSER",
  "NOSUCHCOMPUTER",
  "NOSUCHMESSAGE",
  "NOSUCHREALM",
  "NOSUCHSUBSCRIPTION",
  "NOSUCHWORKSPACE",
  "NOSUCHEXPORT",
  "INVALIDMESSAGEID",
  "NORESULTS",
  "ENOENT",
]);
const QUOTA = new Set(["QUOTAEXCEEDED", "REALMFULL"]);

export function exitCodeFor(status: string): ExitCode {
  if (AUTH.has(status)) return EXIT.auth;
  if (NOT_FOUND.has(status)) return EXIT.notFound;
  if (QUOTA.has(status)) return EXIT.quota;
  if (status === "BADUSAGE") return EXIT.usage;
  return EXIT.other;
}

const HINTS: Record<string, string> = {
  BADAUTH: "check the user id and password; run `opengroove login` again if the password changed",
  UNAUTHORIZED: "the realm refused this account or token; contact the realm's operator if it persists",
  BADCOMPUTER: "add --create-computer to create it, or see `opengroove computers list`",
  NOSUCHUSER: "check the user id: it looks like realm.example:63745::username",
  NOSUCHMESSAGE: "`opengroove inbox` lists the ids of messages waiting for this computer",
  INVALIDMESSAGEID: "`opengroove inbox` lists the ids of messages waiting for this computer",
  NOSUCHCOMPUTER: "`opengroove computers list` shows this account's computers",
  NOSUCHREALM: "check the realm address, or name the realm with --realm-name SLUG",
  QUOTAEXCEEDED: "`opengroove quota` shows what uses your space; delete sent messages or ask the operator for more",
  REALMFULL: "the realm has no room for new accounts; ask its operator",
  RATELIMITED: "wait a while and try again",
  BADPASSWORD: "choose another password that meets the rule above",
  BADUSERNAME: "usernames have 3 to 32 letters, digits, _ . or -",
  BADINVITE: "check the invite code with whoever sent it",
  REGISTRATIONCLOSED: "this realm does not accept new accounts",
  DISCONNECTED: "is the realm reachable? override the address with --host/--port or the transport with --transport",
  TIMEOUT: "the realm did not answer in time; check the address and your network",
};

/** Turns an SDK error into a CliError for the step that failed. */
export function fromSdk(what: string, e: OpenGrooveError): CliError {
  return new CliError(what, e.status, e.reason, exitCodeFor(e.status), HINTS[e.status]);
}

/** Runs one step and labels any SDK failure with what was being done. */
export async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof OpenGrooveError) throw fromSdk(what, e);
    throw e;
  }
}

/** Writes the error (one line, plus a hint line) and returns the exit code. */
export function report(e: unknown, out: NodeJS.WritableStream): number {
  // Reasons come from servers: shown through the one escaping rule (safe-text.ts).
  const stderr = { write: (t: string) => out.write(escapeControls(t)) };
  if (e instanceof CliError) {
    const reason = e.reason.replace(/[\r\n]+/g, " ").trim();
    stderr.write(
      e.what === "usage"
        ? `opengroove: ${reason}\n`
        : `opengroove: ${e.what}: ${e.status}${reason ? ` ${reason}` : ""}\n`,
    );
    if (e.hint) stderr.write(`hint: ${e.hint}\n`);
    return e.exitCode;
  }
  if (e instanceof OpenGrooveError) return report(fromSdk(e.command ?? "request", e), out);
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === "string" && typeof err.message === "string") {
    stderr.write(`opengroove: ${err.message}\n`);
    return err.code === "ENOENT" ? EXIT.notFound : EXIT.other;
  }
  stderr.write(`opengroove: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT.other;
}
