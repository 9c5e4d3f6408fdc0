// Routes og_subscription notifications (sent by whichever instance saw a computer come or go,
// a setting change, or a subscription end) to the subscribers connected to THIS instance, as
// `subscriptionevent` pushes whose data is the subscription's five fields (type, onuser,
// oncomputer, onsetting, deletewithtarget), as the original realm server sent them.
import { matchSubscribers, type SubscriptionNotice } from "../lib/domain/subscription-events.ts";
import type { RealmDaemon } from "./daemon.ts";

export async function routeSubscriptionNotification(daemon: RealmDaemon, payload: string): Promise<void> {
  const ev = JSON.parse(payload) as SubscriptionNotice;
  // Computer sessions only (as the original: account-only and channel connections get no pushes).
  const online = [...daemon.connections].filter((c) => c.session?.computer && !c.session.channelId);
  if (!online.length) return;
  if (ev.k === "direct") {
    for (const c of online) if (c.session!.userId === ev.to) c.notify("subscriptionevent", ev.line);
    return;
  }
  const matches = await matchSubscribers(daemon.db.pool, ev, [...new Set(online.map((c) => c.session!.userId))]);
  for (const m of matches)
    for (const c of online) if (c.session!.userId === m.userId) c.notify("subscriptionevent", m.line);
}
