// What a LAN node already handed to the application, so nothing reaches it twice whichever
// way (direct link or realm) it arrives first.

/** Ids of recent immediate messages (bounded: the oldest are forgotten first). */
export class DeliveredSet {
  private ids = new Set<string>();
  constructor(private readonly max = 10_000) {}
  /** False when the id was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    if (this.ids.size >= this.max) this.ids.delete(this.ids.values().next().value!);
    this.ids.add(id);
    return true;
  }
}

interface Delivered {
  size: number;
  author: string;
  authorComputer: string;
  via: "direct" | "realm";
}

/** Per workspace: changes delivered above the realm cursor, and one task at a time. */
export class WorkspaceDeliveries {
  private delivered = new Map<string, Map<bigint, Delivered>>();
  private cursor = new Map<string, bigint>();
  private queues = new Map<string, Promise<unknown>>();

  exclusive<T>(workspaceId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(workspaceId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.queues.set(
      workspaceId,
      next.catch(() => undefined),
    );
    return next;
  }

  /** Delivered already (directly or from the realm), or at or below the acknowledged cursor. */
  seen(workspaceId: string, seq: bigint): boolean {
    return seq <= (this.cursor.get(workspaceId) ?? -1n) || !!this.delivered.get(workspaceId)?.has(seq);
  }

  /** The realm lists this change as delivered here with the same author, computer and size. */
  matches(workspaceId: string, c: { seq: bigint; size: number; author: string; authorComputer: string }): boolean {
    const d = this.delivered.get(workspaceId)?.get(c.seq);
    return (
      !!d &&
      d.size === c.size &&
      d.author.toLowerCase() === c.author.toLowerCase() &&
      d.authorComputer === c.authorComputer
    );
  }

  record(workspaceId: string, c: { seq: bigint } & Delivered): void {
    let m = this.delivered.get(workspaceId);
    if (!m) this.delivered.set(workspaceId, (m = new Map()));
    m.set(c.seq, { size: c.size, author: c.author, authorComputer: c.authorComputer, via: c.via });
  }

  /** The realm cursor moved: forget what it covers. */
  acked(workspaceId: string, upTo: bigint): void {
    this.cursor.set(workspaceId, upTo);
    const m = this.delivered.get(workspaceId);
    if (m) for (const seq of m.keys()) if (seq <= upTo) m.delete(seq);
  }
}
