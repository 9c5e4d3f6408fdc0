// What a management command handler sees, and the typed dispatch-table entry. Realm-port
// connections start anonymous and become `realm` once the peer proved possession of a key of an
// approved realm; the client port has only the anonymous state. Handlers never see the
// connection (server.ts) or the pool's owner.
import type pg from "pg";
import type { Logger } from "pino";
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
  /** Whether this connection is TLS (enrollment tokens travel only over TLS). */
  readonly tls: boolean;
  /** TLS exported keying material of this connection (channel binding); empty on plain TCP. */
  readonly binding: Buffer;
  /** The peer's address, for the audit log. */
  readonly remoteIp: string;
  /** The realm this connection acts for (realm port, after enroll or authrealm). */
  readonly realmId?: string;
  /** Issues a fresh challenge nonce (replacing any outstanding one). */
  newChallenge(): string;
  /** Takes the outstanding challenge (single use); null when none or expired. */
  takeChallenge(): string | null;
  /** The realm proved its key: this connection acts for it from now on. */
  authenticated(realmId: string): void;
  /**
   * After a heartbeat: the other connected realms are told this realm is up (realm-hub.ts), on
   * the connection's first heartbeat and whenever its address changed.
   */
  heartbeatDone(addressChanged: boolean): void;
}

export type ManagementResult = CommandResult;

export type ManagementCommand = SessionCommand<ManagementState, ManagementContext>;

export function managementCommand(spec: ManagementCommand): ManagementCommand {
  return spec;
}
