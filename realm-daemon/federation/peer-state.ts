// Realm-to-realm connection states and the typed dispatch-table entry (commands/index.ts).
import type { PacketData, StatusWord } from "../../lib/protocol/index.ts";
import type { PeerConnection } from "./peer-connection.ts";

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

export interface PeerResult {
  status: StatusWord;
  data?: PacketData;
  /** Close the connection after sending this reply. */
  close?: boolean;
}

export interface PeerCommand {
  name: string;
  states: readonly PeerState[];
  handle(conn: PeerConnection, args: Buffer): Promise<PeerResult>;
}

export function peerCommand(spec: PeerCommand): PeerCommand {
  return spec;
}
