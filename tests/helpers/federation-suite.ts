// The usual setup of a federation test file: a management server and a few realm nodes
// (startRealmNodes, in the layout OG_FEDERATION_LAYOUT selects), each enrolled with a fresh token
// and approved before the first test, all dropped after the last. Kept apart from federation.ts
// because it registers node:test hooks, and federation.ts is also loaded by the bench and by
// Playwright specs.
import { after, before } from "node:test";
import type { FederationLimits } from "../../realm-daemon/federation/config.ts";
import { startManagement, startRealmNodes, type ManagementHarness, type RealmNode } from "./federation.ts";

/**
 * Registers the before/after hooks; `ready` hands the started realms (in the order of `names`)
 * and the management server to the test file's variables. `limits` gives a realm's federation
 * timings/limits on top of the fast test ones.
 */
export function federationSuite(
  names: string[],
  ready: (realms: RealmNode[], management: ManagementHarness) => void,
  limits: (name: string) => Partial<FederationLimits> = () => ({}),
): void {
  let management: ManagementHarness | undefined;
  let realms: RealmNode[] = [];
  before(async () => {
    const m = await startManagement();
    management = m;
    realms = await startRealmNodes(names, m.address, async (n) => ({ token: await m.token(), limits: limits(n) }));
    await Promise.all(realms.map((r) => r.waitApproved()));
    ready(realms, m);
  });
  after(async () => {
    await Promise.allSettled(realms.map((r) => r.drop()));
    await management?.drop();
  });
}
