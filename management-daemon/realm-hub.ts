// The authenticated realm connections of this management daemon, so that a realm coming up is
// announced to the others at once: when a realm's connection sends its first heartbeat (it just
// started or reconnected) or its address changed, every other connected realm gets the push
// `realmup <realm id>` and delivers what it queued for that realm right away, instead of waiting
// for its registry refresh or a connection backoff (docs/federation.md §4b). Only connections to
// this daemon process hear it; realms on another management instance fall back to the refresh.
export interface RealmListener {
  /** Pushes `realmup` with the realm id. */
  realmUp(realmId: string): void;
}

export class RealmHub {
  private readonly conns = new Map<string, Set<RealmListener>>();

  join(realmId: string, conn: RealmListener): void {
    const set = this.conns.get(realmId) ?? new Set();
    set.add(conn);
    this.conns.set(realmId, set);
  }

  leave(realmId: string, conn: RealmListener): void {
    const set = this.conns.get(realmId);
    if (!set) return;
    set.delete(conn);
    if (!set.size) this.conns.delete(realmId);
  }

  /** Tells every other connected realm that `realmId` is up (at its current address). */
  announce(realmId: string): number {
    let n = 0;
    for (const [id, set] of this.conns) {
      if (id === realmId) continue;
      for (const c of set) {
        c.realmUp(realmId);
        n++;
      }
    }
    return n;
  }
}
