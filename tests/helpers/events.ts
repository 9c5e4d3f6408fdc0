// Collecting pushes in tests: every event of one name on a client, and waiting (bounded) until a
// condition on them holds.
import type { RealmClient } from "../../client/sdk/index.ts";

export interface Collected {
  /** Each push's data lines. */
  readonly events: string[][];
  /** Resolves once `count` events arrived; rejects after `ms` naming what came. */
  waitFor(count: number, ms?: number): Promise<string[][]>;
  /** Waits `ms` and returns what arrived (to show that nothing more comes). */
  settle(ms?: number): Promise<string[][]>;
}

export function collect(client: RealmClient, event: string): Collected {
  const events: string[][] = [];
  client.on(event, (r) => events.push(r.text.split("\n")));
  return {
    events,
    async waitFor(count, ms = 5_000) {
      const deadline = Date.now() + ms;
      while (events.length < count) {
        if (Date.now() > deadline)
          throw new Error(`waited for ${count} ${event} push(es), got ${events.length}: ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return events;
    },
    async settle(ms = 400) {
      await new Promise((r) => setTimeout(r, ms));
      return events;
    },
  };
}
