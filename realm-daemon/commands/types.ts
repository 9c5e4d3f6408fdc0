// What a client command handler sees, and the typed dispatch table's entry (a handler and the
// connection states it is allowed in). Handlers get this narrow context, never the daemon or
// the connection: they validate arguments and call the domain (lib/domain, lib/federation).
import type { Logger } from "pino";
import type { DbHandle } from "../../lib/db/client.ts";
import type { MessageWriter } from "../../lib/domain/message-writer.ts";
import type { RemoteComputerKeys } from "../../lib/federation/public-keys.ts";
import type { RecipientCheckOutcome } from "../../lib/federation/recipient-check.ts";
import type { NotificationEvent, PacketData } from "../../lib/protocol/index.ts";
import type { CommandResult, SessionCommand } from "../../lib/protocol/session.ts";
import type { AccountExports } from "../account-exports.ts";
import type { RealmDaemonConfig } from "../config.ts";
import type { ConnectionState, RealmInfo, Session } from "../state.ts";

export type { CommandResult };

export interface RealmContext {
  readonly db: DbHandle["pool"];
  /** Group commit of postmessage and deletemessage(s) across connections. */
  readonly messages: MessageWriter;
  /** Account exports made on this instance (exportaccount, readexport). */
  readonly exports: AccountExports;
  /** The logged-in account; set once authenticate succeeded. */
  readonly session?: Session;
  readonly realm: RealmInfo;
  readonly limits: RealmDaemonConfig["limits"];
  /** The web console / signup address shown to users. */
  readonly webUrl: string;
  /** Logs with this connection's id. */
  readonly log: Logger;
  /** Presence rows name the connection and the daemon instance that holds it. */
  readonly connectionId: string;
  readonly instanceId: string;
  /** The peer's address without the port (rate-limit buckets). */
  readonly remoteIp: string;
  /**
   * Asks other realms whether these recipients exist (grouped by realm); absent when this daemon
   * does not federate. docs/federation.md §4c.
   */
  readonly checkRemoteRecipients?: (
    byRealm: ReadonlyMap<string, readonly string[]>,
  ) => Promise<RecipientCheckOutcome[]>;
  /**
   * The computers of a user of another realm with their public-og-* settings, asked of that realm
   * (cached briefly); absent when this daemon does not federate. docs/clients.md §1.
   */
  readonly remotePublicKeys?: (userId: string) => Promise<RemoteComputerKeys[]>;
  notify(event: NotificationEvent, data?: PacketData): void;
  /** authenticate succeeded: the connection is logged in, with a computer or account-only. */
  login(session: Session): void;
  close(reason: string): void;
}

export type CommandSpec = SessionCommand<ConnectionState, RealmContext>;

export function command(spec: CommandSpec): CommandSpec {
  return spec;
}
