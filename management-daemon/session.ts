// One connection to the management server and the typed dispatch-table entry. Realm-port
// connections start anonymous and become `realm` once the peer proved possession of a key of an
// approved realm; the client port has only the anonymous state.
import type pg from "pg";
import type { Logger } from "pino";
import type { PacketData, StatusWord } from "../lib/protocol/index.ts";
import type { ManagementLimits } from "./config.ts";

export enum ManagementState {
  Anonymous = "anonymous",
  /** Authenticated as `session.realmId` (an approved realm). */
  Realm = "realm",
}

export const ANY = [ManagementState.Anonymous, ManagementState.Realm] as const;
export const ANONYMOUS = [ManagementState.Anonymous] as const;
export const REALM = [ManagementState.Realm] as const;

export interface ManagementSession {
  readonly id: string;
  readonly log: Logger;
  readonly pool: pg.Pool;
  readonly limits: ManagementLimits;
  state: ManagementState;
  /** Whether this connection is TLS (enrollment tokens travel only over TLS). */
  readonly tls: boolean;
  /** TLS exported keying material of this connection; empty on plain TCP. */
  readonly binding: Buffer;
  readonly remoteIp: string;
  realmId?: string;
  /** The outstanding challenge; consumed by the command that answers it. */
  challenge?: { nonce: string; expiresAt: number };
}

export interface ManagementResult {
  status: StatusWord;
  data?: PacketData;
}

export interface ManagementCommand {
  name: string;
  states: readonly ManagementState[];
  handle(session: ManagementSession, args: Buffer): Promise<ManagementResult>;
}

export function managementCommand(spec: ManagementCommand): ManagementCommand {
  return spec;
}

/** Takes the outstanding challenge (single use). */
export function takeChallenge(s: ManagementSession): string | null {
  const c = s.challenge;
  s.challenge = undefined;
  return c && c.expiresAt > Date.now() ? c.nonce : null;
}

/** `key=value` lines into a map (first `=` splits; unknown keys are ignored by callers). */
export function keyValues(args: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of args.toString("utf8").split(/\r\n|\r|\n/)) {
    const i = line.indexOf("=");
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}
