// The SDK's presence API: subscriptions to another user's (or computer's) status and public
// settings with the `subscriptionevent` push, and the account's visibility (docs/protocol.md,
// "Subscriptions and visibility").
import { OpenGrooveError, type CommandCaller } from "./connection.ts";

export type SubscriptionType = "userstatus" | "usersetting" | "computerstatus" | "computersetting";
export type Visibility = "everyone" | "contacts" | "nobody";

export interface Subscription {
  type: SubscriptionType;
  /** User id (or username of this realm); the server answers full ids. */
  onUser: string;
  /** computerstatus / computersetting ("" = any computer for computersetting). */
  onComputer?: string;
  /** usersetting / computersetting. */
  onSetting?: string;
  /** End the subscription when its target (user, computer or setting) is deleted. */
  deleteWithTarget?: boolean;
}

function fields(s: Subscription): string[] {
  return [s.type, s.onUser, s.onComputer ?? "", s.onSetting ?? "", String(s.deleteWithTarget ?? false)];
}

function parse(f: readonly string[]): Subscription {
  return {
    type: f[0] as SubscriptionType,
    onUser: f[1] ?? "",
    onComputer: f[2] ?? "",
    onSetting: f[3] ?? "",
    deleteWithTarget: f[4] === "true",
  };
}

export class Subscriptions {
  constructor(private readonly c: CommandCaller) {}

  async create(s: Subscription): Promise<void> {
    await this.c.call("createsubscription", fields(s));
  }

  async delete(s: Subscription): Promise<void> {
    await this.c.call("deletesubscription", fields(s));
  }

  async list(): Promise<Subscription[]> {
    const r = await this.c.request("listsubscriptions");
    if (r.status === "NORESULTS") return [];
    if (r.status !== "OK") throw new OpenGrooveError(r.status, r.text, "listsubscriptions");
    // Space-separated fields; blank fields leave two spaces, so split keeps them.
    return r.lines.filter((l) => l).map((l) => parse(l.split(" ")));
  }

  /** Something a subscription covers changed (or the subscription ended): re-read the target. */
  onEvent(fn: (s: Subscription) => void): void {
    this.c.on("subscriptionevent", (r) => fn(parse(r.text.split(/\r\n|\r|\n/))));
  }

  /** Who may see this account's online status and find it in searchusers. → subscriptions revoked. */
  async setVisibility(v: Visibility): Promise<number> {
    const r = await this.c.call("setvisibility", [v]);
    return Number(/revoked=(\d+)/.exec(r.text)?.[1] ?? "0");
  }

  async visibility(): Promise<Visibility> {
    return (await this.c.call("getvisibility", ["level"])).text.trim() as Visibility;
  }
}
