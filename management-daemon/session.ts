// What a management command handler sees, and the typed dispatch-table entry. Realm-port
// connections start anonymous and become `realm` once the peer proved possession of a key of an
// approved realm; the client port has only the anonymous state. Handlers never see the
// connection (server.ts) or the pool's owner.
import type pg from "pg";
import type { Logger } from "pino";
import { checkTextFields } from "../lib/protocol/index.ts";
import type { CommandResult, SessionCommand } from "../lib/protocol/session.ts";
import type { ManagementLimits } from "./config.ts";

export enum ManagementState {
  Anonymous = "anonymous",
  /** Authenticated as `ctx.realmId` (an approved realm). */
  Realm = "realm",
}

export const ANY = [ManagementState.Anonymous, ManagementState.Realm] as const;
export const ANONYMOUS = [ManagementState.Anonymous] as const;
export const REALM = [ManagementState.Realm] as const;

export interface ManagementContext {
  readonly db: pg.Pool;
  /** Logs with this connection's id. */
  readonly log: Logger;
  readonly limits: ManagementLimits;
  /** The realm this connection acts for (realm port, after enroll or authrealm). */
  readonly realmId?: string;
  /** Issues a fresh challenge nonce (replacing any outstanding one). */
  newChallenge(): string;
  /** Takes the outstanding challenge (single use); null when none or expired. */
  takeChallenge(): string | null;
  /** The realm proved its key: this connection acts for it from now on. */
  authenticated(realmId: string): void;
}

export type ManagementResult = CommandResult;

export type ManagementCommand = SessionCommand<ManagementState, ManagementContext>;

export function managementCommand(spec: ManagementCommand): ManagementCommand {
  return spec;
}

/** `key=value` lines into a map (first `=` splits; unknown keys are ignored by callers). */
export function keyValues(args: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of args.toString("utf8").split(/\r\n|\r|\n/)) {
    const i = line.indexOf("=");
    if (i <= 0) continue;
    // The one text rule (lib/protocol/text-rule.ts) for key=value arguments too.
    const t = checkTextFields([line.slice(0, i), line.slice(i + 1)], ["key", line.slice(0, i)]);
    if (!t.ok) throw t.error;
    out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}
