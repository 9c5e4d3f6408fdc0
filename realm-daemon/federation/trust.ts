// Deciding whether a peer realm is who it claims to be: its proofs must verify with a key the
// management server lists for it. Entries are cached in this realm's database with their
// validity; a stale entry is fetched again when the management server answers, and used as it
// is (until the keys' own validUntil) when it does not.
import type { Logger } from "pino";
import type pg from "pg";
import { DomainError } from "../../lib/domain/errors.ts";
import { LinkError } from "../../lib/federation/packet-client.ts";
import { forgetPeer, loadPeer, storePeer, type CachedPeer } from "../../lib/federation/peer-cache.ts";
import { keyIsValid, type RegistryRecord } from "../../lib/federation/registry-wire.ts";
import { anyProofValid, type Proof } from "../../lib/federation/signing.ts";
import type { FederationLimits } from "./config.ts";

/** Asks the management server; throws LinkError when it cannot be reached. */
export type RegistryLookup = (realmId: string) => Promise<RegistryRecord | null>;

export class PeerTrust {
  constructor(
    private readonly pool: pg.Pool,
    private readonly lookup: RegistryLookup,
    private readonly limits: FederationLimits,
    private readonly log: Logger,
  ) {}

  /** Fetches a peer's entry from the management server into the cache. null = not registered there. */
  async refresh(realmId: string): Promise<CachedPeer | null> {
    const rec = await this.lookup(realmId);
    if (!rec) {
      await forgetPeer(this.pool, realmId);
      return null;
    }
    await storePeer(this.pool, rec);
    return loadPeer(this.pool, realmId);
  }

  /**
   * The peer's entry, fresh if the management server answers. Throws NOSUCHREALM (not registered),
   * UNAUTHORIZED (revoked or not approved) or BADAUTH (cannot be verified: unknown here and the
   * management server is unreachable).
   */
  async peer(realmId: string, opts: { forceRefresh?: boolean } = {}): Promise<CachedPeer> {
    let p = await loadPeer(this.pool, realmId);
    const stale = !p || opts.forceRefresh || Date.now() - p.fetchedAt.getTime() > this.limits.peerCacheFreshMs;
    if (stale) {
      try {
        p = await this.refresh(realmId);
        if (!p) throw new DomainError("NOSUCHREALM", `realm ${realmId} is not registered with the management server`);
      } catch (e) {
        if (!(e instanceof LinkError)) throw e;
        if (!p || p.status !== "APPROVED")
          throw new DomainError(
            "BADAUTH",
            `cannot verify realm ${realmId}: this realm has never seen it and the management server is unreachable (${e.message})`,
          );
        this.log.debug({ peer: realmId, err: e.message }, "management server unreachable; using cached keys");
      }
    }
    if (p!.status === "REVOKED")
      throw new DomainError("UNAUTHORIZED", `realm ${realmId} is revoked by the management server`);
    if (p!.status !== "APPROVED")
      throw new DomainError("UNAUTHORIZED", `realm ${realmId} is not approved by the management server`);
    return p!;
  }

  /** Checks proofs; on a miss with cached keys, fetches once more (the peer may have rotated). */
  async verify(realmId: string, payload: Buffer, proofs: Proof[]): Promise<void> {
    let p = await this.peer(realmId);
    const valid = (x: CachedPeer) => x.keys.filter((k) => keyIsValid(k));
    if (anyProofValid(valid(p), proofs, payload)) return;
    try {
      const again = await this.refresh(realmId);
      if (!again) throw new DomainError("NOSUCHREALM", `realm ${realmId} is not registered with the management server`);
      p = await this.peer(realmId);
    } catch (e) {
      if (!(e instanceof LinkError)) throw e;
      throw new DomainError(
        "BADAUTH",
        `realm ${realmId} signed with a key this realm does not know, and the management server is unreachable to check it`,
      );
    }
    if (!anyProofValid(valid(p), proofs, payload))
      throw new DomainError("BADAUTH", `no proof verifies with a valid key of realm ${realmId}`);
  }
}
