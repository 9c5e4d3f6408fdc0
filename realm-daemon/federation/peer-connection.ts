// An inbound realm-to-realm connection (greeting "OpenGroove realm <peer id> [<local realm>]"),
// run by the shared engine (lib/protocol/session.ts). Until both sides proved their keys only
// hello/auth/ping/quit are accepted (within the handshake timeout); after that the delivery
// commands.
import { ProtocolSession } from "../../lib/protocol/session.ts";
import type { Transport } from "../connection.ts";
import type { RealmInfo } from "../state.ts";
import type { Federation } from "./federation.ts";
import { PEER_COMMANDS } from "./commands/index.ts";
import { PeerState, type PeerContext } from "./peer-state.ts";

export { PeerState };

export class PeerConnection extends ProtocolSession<PeerState, PeerContext> {
  private readonly nonces = { client: "", server: "" };

  constructor(
    private readonly federation: Federation,
    /** The local realm the peer addressed. */
    readonly realm: RealmInfo,
    /** The realm id the peer claims (proved by auth). */
    readonly peerRealmId: string,
    transport: Transport,
    /** TLS exported keying material of this connection (empty on plain TCP). */
    private readonly binding: Buffer,
  ) {
    const limits = federation.config.limits;
    super({
      transport,
      log: federation.log,
      logFields: { realm: realm.id, peer: peerRealmId },
      state: PeerState.Greeted,
      closingState: PeerState.Closing,
      commands: PEER_COMMANDS,
      maxInFlight: federation.daemon.config.limits.maxQueuedRequests,
      idleTimeoutMs: federation.daemon.config.limits.idleTimeoutMs,
      handshake: { timeoutMs: limits.handshakeTimeoutMs, what: "realm authentication" },
      words: {
        unknown: (command) => `unknown realm-to-realm command "${command}"`,
        notAllowed: (state, command) =>
          `${command}: ${state === PeerState.Authenticated ? "not allowed now" : "prove your realm key first (hello, auth)"}`,
        logName: "the realm daemon's log",
      },
    });
    federation.peers.add(this);
  }

  protected context(): PeerContext {
    const fed = this.federation;
    return {
      db: fed.daemon.db.pool,
      realm: this.realm,
      peerRealmId: this.peerRealmId,
      limits: fed.config.limits,
      log: this.log,
      binding: this.binding,
      nonces: this.nonces,
      verifyPeer: (payload, proofs) => fed.trust.verify(this.peerRealmId, payload, proofs),
      recordSpoof: (messageId, senderId) =>
        fed.recordSpoof(
          { log: this.log, realmId: this.realm.id, peerRealmId: this.peerRealmId, id: this.id, ip: this.remoteIp },
          messageId,
          senderId,
        ),
      challenged: () => {
        this.state = PeerState.Challenged;
      },
      authenticated: () => {
        this.state = PeerState.Authenticated;
        this.handshakeDone();
        this.log.info("peer realm authenticated");
        // A peer that connects is up: what is queued for it goes now (docs/federation.md §4b).
        void fed.peerSeen(this.peerRealmId).catch((err: unknown) => this.log.warn({ err }, "peerSeen failed"));
      },
    };
  }

  protected onClosed(): void {
    this.federation.peers.delete(this);
  }
}
