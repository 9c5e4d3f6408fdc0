// The SDK's immediate-message quotas (setimessagequota and friends): how many immediate
// messages per minute this account accepts from one sender, or from every other sender, within
// the operator's ceiling.
import { OpenGrooveError, type CommandCaller } from "./connection.ts";

export class ImessageQuotas {
  constructor(private readonly c: CommandCaller) {}

  /** Sets the rate for `userId` ("" = every sender without a quota of its own); null removes it. */
  async set(userId: string, ratePerMinute: number | null): Promise<void> {
    await this.c.call("setimessagequota", [userId, String(ratePerMinute ?? -1)]);
  }

  /** The senders with a quota of their own. */
  async list(): Promise<Array<{ userId: string; ratePerMinute: number }>> {
    const r = await this.c.request("listimessagequotas");
    if (r.status === "NORESULTS") return [];
    if (r.status !== "OK") throw new OpenGrooveError(r.status, r.text, "listimessagequotas");
    return r.lines
      .filter((l) => l)
      .map((l) => {
        const at = l.lastIndexOf(" ");
        return { userId: l.slice(0, at), ratePerMinute: Number(l.slice(at + 1)) };
      });
  }

  /** The rate this account applies to `userId` ("" = the default). */
  async local(userId: string): Promise<number> {
    return Number((await this.c.call("getlocalimessagequota", [userId])).text);
  }

  /** The rate `userId` applies to this account. */
  async remote(userId: string): Promise<number> {
    return Number((await this.c.call("getremoteimessagequota", [userId])).text);
  }
}
