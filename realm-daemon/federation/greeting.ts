// The realm-to-realm greeting: "OpenGroove realm <connecting realm id> [<addressed realm>]".
import type net from "node:net";
import type tls from "node:tls";
import { CHANNEL_BINDING_LABEL } from "../../lib/federation/signing.ts";

/** The connecting realm's id when the greeting is a realm-to-realm one, else null. */
export function peerRealmOf(words: readonly string[]): string | null {
  return words[0]?.toLowerCase() === "realm" && words[1] ? words[1] : null;
}

/** TLS exported keying material both ends of this TLS session share (empty on plain TCP). */
export function channelBinding(socket: net.Socket, kind: "tls" | "tcp"): Buffer {
  return kind === "tls"
    ? (socket as tls.TLSSocket).exportKeyingMaterial(32, CHANNEL_BINDING_LABEL, Buffer.alloc(0))
    : Buffer.alloc(0);
}
