// Asks another realm whether message recipients exist there before the message is accepted
// (checkusers over an authenticated realm-to-realm link; docs/federation.md §4c). Links are
// kept for reuse like the outbox worker's (closed after linkIdleMs unused) but are separate
// from them, so a check never waits behind a delivery batch. Any failure to ask — the realm
// down, not federated yet, slow, or too old to know checkusers — means "unchecked": the
// message is queued as before and the sender is told why.
import {
  CHECKUSERS_MAX_IDS,
  decodeCheckReply,
  type RecipientCheckOutcome,
} from "../../lib/federation/recipient-check.ts";
import { OutboundLink } from "./outbound.ts";
import type { LinkReply } from "../../lib/federation/packet-client.ts";
import type { Federation } from "./federation.ts";

export class RecipientChecker {
  private links = new Map<string, Promise<OutboundLink>>();
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly fed: Federation) {}

  /** Every realm in `byRealm` asked in parallel; each answer within recipientCheckMs or "unchecked". */
  checkAll(localRealmId: string, byRealm: ReadonlyMap<string, readonly string[]>): Promise<RecipientCheckOutcome[]> {
    return Promise.all([...byRealm].map(([target, ids]) => this.check(localRealmId, target, ids)));
  }

  async check(localRealmId: string, target: string, ids: readonly string[]): Promise<RecipientCheckOutcome> {
    const ms = this.fed.config.limits.recipientCheckMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<RecipientCheckOutcome>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({ realmId: target, state: "unchecked", reason: `realm ${target} did not answer within ${ms} ms` }),
        ms,
      );
    });
    try {
      return await Promise.race([this.ask(localRealmId, target, ids), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async ask(localRealmId: string, target: string, ids: readonly string[]): Promise<RecipientCheckOutcome> {
    try {
      // In requests of at most CHECKUSERS_MAX_IDS (a message may have 500 recipients on one realm).
      const refused: ReturnType<typeof decodeCheckReply> = [];
      for (let i = 0; i < ids.length; i += CHECKUSERS_MAX_IDS) {
        const reply = await this.call(localRealmId, target, "checkusers", ids.slice(i, i + CHECKUSERS_MAX_IDS));
        refused.push(...decodeCheckReply(reply.lines));
      }
      return { realmId: target, state: "checked", refused };
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.fed.log.info({ target, reason }, "could not check recipients on another realm; the message is queued");
      return { realmId: target, state: "unchecked", reason };
    }
  }

  /**
   * One request to another realm over this pool's links (opened on demand, reused, trust checked
   * on every use). Also used for the public-key lookups (remote-keys.ts). Throws on any failure.
   */
  async call(localRealmId: string, target: string, command: string, lines: readonly string[]): Promise<LinkReply> {
    const key = `${localRealmId}\u0000${target}`;
    if (this.stopped) throw new Error("the realm daemon is stopping");
    let pending = this.links.get(key);
    const have = pending ? await pending.catch(() => undefined) : undefined;
    if (!have || have.closed) {
      pending = OutboundLink.open(this.fed, localRealmId, target);
      this.links.set(key, pending);
      pending.catch(() => this.links.get(key) === pending && this.links.delete(key));
      this.sweep();
    } else {
      // Revocation is checked on every use (the registry cache makes it cheap).
      await OutboundLink.trusted(this.fed, target);
    }
    const link = await pending!;
    return link.call(command, [...lines]);
  }

  /** Closes links unused for linkIdleMs (checked every few seconds while any is open). */
  private sweep(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      for (const [key, p] of this.links)
        void p.then(
          (l) => {
            if (l.closed || Date.now() - l.lastUsed > this.fed.config.limits.linkIdleMs) {
              l.close();
              if (this.links.get(key) === p) this.links.delete(key);
            }
          },
          () => undefined,
        );
      if (!this.links.size) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    }, 5_000);
    this.sweeper.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const p of this.links.values())
      void p.then(
        (l) => l.close(),
        () => undefined,
      );
    this.links.clear();
  }
}
