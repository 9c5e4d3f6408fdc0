// Realm-to-realm connection states, what a realm-to-realm handler sees, and the typed
// dispatch-table entry (commands/index.ts). Handlers never see the federation or the connection.
import type { Logger } from "pino";
import type { DbHandle } from "../../lib/db/client.ts";
import type { Proof } from "../../lib/federation/signing.ts";
import type { CommandResult, SessionCommand } from "../../lib/protocol/session.ts";
import type { RealmInfo } from "../state.ts";
import type { FederationLimits } from "./config.ts";

export enum PeerState {
  /** Greeting done; the peer must send hello. */
  Greeted = "greeted",
  /** We sent our proof and nonce; the peer must send auth. */
  Challenged = "challenged",
  /** Both sides proved their keys: deliveries allowed. */
  Authenticated = "authenticated",
  Closing = "closing",
}

export const PEER_ANY = [PeerState.Greeted, PeerState.Challenged, PeerState.Authenticated] as const;

export type PeerResult = CommandResult;

export interface PeerContext {
  readonly db: DbHandle["pool"];
  /** The local realm the peer addressed. */
  readonly realm: RealmInfo;
  /** The realm id the peer claims (proved by auth). */
  readonly peerRealmId: string;
  readonly limits: FederationLimits;
  readonly log: Logger;
  /** TLS exported keying material of this connection (empty on plain TCP). */
  readonly binding: Buffer;
  /** The handshake's nonces: hello sets them, auth signs over them. */
  readonly nonces: { client: string; server: string };
  /** Checks the peer's proofs against the keys the management server lists for it; DomainError if not. */
  verifyPeer(payload: Buffer, proofs: Proof[]): Promise<void>;
  /** Logs and audits a delivery whose sender is not of the peer realm. */
  recordSpoof(messageId: string, senderId: string): Promise<void>;
  /** hello answered: the peer must now send auth. */
  challenged(): void;
  /** auth verified: deliveries are allowed. */
  authenticated(): void;
}

export type PeerCommand = SessionCommand<PeerState, PeerContext>;

export function peerCommand(spec: PeerCommand): PeerCommand {
  return spec;
}
