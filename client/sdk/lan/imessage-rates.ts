// The immediate-message rate a computer applies to each sender (`setimessagequota`, enforced by
// the realm on `sendimessage`), applied also to messages that arrive over a direct link, so
// going direct does not get around it. The rate is the realm's answer to
// `getlocalimessagequota` (cached a minute); counting is per sender in one-minute windows.
import type { PacketData, StatusWord } from "../../../lib/protocol/index.ts";

export class DirectImessageRates {
  private rates = new Map<string, { at: number; rate: Promise<number> }>();
  private windows = new Map<string, { start: number; count: number; ids: Set<string> }>();

  constructor(
    private readonly lookup: (sender: string) => Promise<number>,
    private readonly maxSenders = 4096,
  ) {}

  private rate(sender: string, now: number): Promise<number> {
    const c = this.rates.get(sender);
    if (c && now - c.at < 60_000) return c.rate;
    const rate = this.lookup(sender);
    if (this.rates.size >= this.maxSenders) this.rates.delete(this.rates.keys().next().value!);
    this.rates.set(sender, { at: now, rate });
    rate.catch(() => this.rates.delete(sender));
    return rate;
  }

  /**
   * Undefined when the message may be delivered (counted once per message id), else the reply:
   * RATELIMITED over the rate, BUSY when the realm cannot say (the sender then uses the realm).
   */
  async admit(
    senderUserId: string,
    messageKey: string,
    now = Date.now(),
  ): Promise<{ status: StatusWord; data: PacketData } | undefined> {
    const sender = senderUserId.toLowerCase();
    let rate: number;
    try {
      rate = await this.rate(sender, now);
    } catch {
      return { status: "BUSY", data: "cannot read the immediate-message quota from the realm" };
    }
    let w = this.windows.get(sender);
    if (!w || now - w.start >= 60_000) {
      if (!w && this.windows.size >= this.maxSenders) this.windows.delete(this.windows.keys().next().value!);
      w = { start: now, count: 0, ids: new Set() };
      this.windows.set(sender, w);
    }
    if (w.ids.has(messageKey)) return undefined; // the same message again: not counted twice
    if (!Number.isFinite(rate) || w.count >= rate)
      return {
        status: "RATELIMITED",
        data: `at most ${Number.isFinite(rate) ? rate : 0} immediate messages per minute from you`,
      };
    w.count++;
    w.ids.add(messageKey);
    return undefined;
  }
}
