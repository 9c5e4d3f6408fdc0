// Connection states and the per-connection session. Which commands are allowed in which state
// is declared by each command's entry in the dispatch table (commands/index.ts).
export enum ConnectionState {
  /** Greeting done, not logged in: server info, registration, authentication, ping. */
  Anonymous = "anonymous",
  /** Logged in without a computer name: account and computer management only. */
  AccountOnly = "account-only",
  /** Logged in from one of the user's computers: everything. */
  Authenticated = "authenticated",
  /**
   * Authenticated with connection type `channel`: the connection relays one channel's packets
   * (channelsend, the channeldata push) and answers only the few commands that allow it.
   */
  Channel = "channel",
  /** Shutting down; nothing more is processed. */
  Closing = "closing",
}

export const ANY_STATE = [
  ConnectionState.Anonymous,
  ConnectionState.AccountOnly,
  ConnectionState.Authenticated,
  ConnectionState.Channel,
] as const;
import type { Realm } from "../lib/generated/prisma/client.ts";
export const LOGGED_IN = [ConnectionState.AccountOnly, ConnectionState.Authenticated] as const;
export const WITH_COMPUTER = [ConnectionState.Authenticated] as const;

export interface Session {
  userId: string;
  username: string;
  /** realm id + "::" + username */
  fullId: string;
  /** "" when logged in without a computer. */
  computer: string;
  sessionEpoch: number;
  /**
   * The connection speaks the original OpenGroove client's dialect: it authenticated with the
   * original four fields (connection type first). Commands whose reply layout changed since
   * (getmessageinfo) answer such a connection in the original layout.
   */
  original?: boolean;
  /** Set on a connection authenticated with type `channel`: it relays that channel's packets. */
  channelId?: string;
}

/** The realm row columns the daemon keeps in memory (types from the Prisma schema). */
export type RealmInfo = Pick<
  Realm,
  | "id"
  | "slug"
  | "name"
  | "description"
  | "host"
  | "port"
  | "contactEmail"
  | "contactUserId"
  | "registrationMode"
  | "captchaProvider"
  | "status"
  | "maxComputersPerUser"
  | "messageRetentionDays"
  | "legacyTlsPort"
>;
