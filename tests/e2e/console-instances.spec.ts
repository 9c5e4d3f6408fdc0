// The console's list of daemon instances (issue #18): a real realm daemon runs in this worker on
// the e2e database with a client signed in; two more rows stand for peers on other machines (one
// draining, one that stopped heartbeating). The administrator sees each with its state, last
// heartbeat, advertised addresses, connections and version; the Drain button on the live one
// makes the real daemon drain (its client gets `shutdown`) and its row goes. A realm operator
// has no such page.
import { expect, test } from "@playwright/test";
import { createLogger } from "../../lib/log.ts";
import { registerAccount } from "../../lib/domain/registration.ts";
import { RealmDaemon } from "../../realm-daemon/daemon.ts";
import { REALM_DEFAULTS } from "../../realm-daemon/config.ts";
import { RealmClient } from "../../client/sdk/index.ts";
import { softwareVersion } from "../../lib/runtime/version.ts";
import { urlFor } from "../helpers/db.ts";
import { ADMIN, OPERATOR_A } from "./helpers/console-fixtures.ts";
import { e2eDb, e2eDbName } from "./helpers/e2e-db.ts";
import { shot, signIn } from "./helpers/console-page.ts";

test.describe.configure({ mode: "serial" });

const REALM = { id: "fleet.test:64571", host: "fleet.test", port: 64571, slug: "fleet", name: "Fleet Realm" };
const USER = { username: "rover", password: "fleet-deck-passphrase", computer: "deck" };
const PEERS = { draining: "e2e-peer-draining", stale: "e2e-peer-stale" };

let daemon: RealmDaemon;
let client: RealmClient;
let port: number;

test.beforeAll(async ({ baseURL }) => {
  const db = e2eDb();
  await db.prisma.realm.create({
    data: { ...REALM, registrationMode: "OPEN", captchaProvider: "NONE", userCap: 10, defaultQuotaBytes: 1n << 20n },
  });
  const user = await registerAccount(db.pool, { ...USER, realmId: REALM.id, captchaPassed: true });
  await db.prisma.computer.create({ data: { userId: user.id, name: USER.computer } });
  daemon = new RealmDaemon(
    {
      databaseUrl: urlFor(e2eDbName()),
      bindHost: "127.0.0.1",
      httpPort: 0,
      plainTcp: false,
      ephemeralPorts: true,
      webUrl: baseURL!,
      // Fast heartbeats; peers are reaped only after 10 min, so the stale row below stays listed.
      limits: { ...REALM_DEFAULTS, heartbeatMs: 200, presenceStaleMs: 600_000 },
    },
    createLogger("realm-e2e", process.env.OPENGROOVE_LOG_LEVEL ?? "warn"),
  );
  await daemon.start();
  port = daemon.listeners.actualPort(REALM.port)!;
  client = await RealmClient.connect({ host: "127.0.0.1", port, realm: REALM.slug, timeoutMs: 20_000 });
  await client.authenticate(USER.username, USER.computer, USER.password);
  // Peers on other machines: one draining now (heartbeat every minute, so it stays fresh through
  // the test), one heartbeating every second whose last heartbeat was two minutes ago.
  await db.pool.query(
    `INSERT INTO daemon_instances (id, kind, host, pid, addresses, draining, connections, version, "heartbeatMs", "heartbeatAt", "startedAt")
     VALUES ($1, 'realm', 'node-b', 4242, $3, true, 3, '0.0.9', 60000, now(), now() - interval '1 hour'),
            ($2, 'realm', 'node-c', 4343, $4, false, 5, '0.0.9', 1000, now() - interval '2 minutes', now() - interval '1 day')`,
    [
      PEERS.draining,
      PEERS.stale,
      JSON.stringify({ [REALM.id]: "10.0.0.2:64571" }),
      JSON.stringify({ [REALM.id]: "10.0.0.3:64571" }),
    ],
  );
});

test.afterAll(async () => {
  client?.close();
  await daemon?.stop();
  await e2eDb().pool.query(`DELETE FROM daemon_instances WHERE id = ANY($1)`, [Object.values(PEERS)]);
});

test("the administrator sees every instance with its state, addresses, connections and version", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole("link", { name: "Instances" }).click();
  await expect(page.getByRole("heading", { name: "Instances", level: 1 })).toBeVisible();

  const mine = page.getByTestId(`instance-${daemon.instanceId}`);
  await expect(mine).toHaveAttribute("data-state", "live");
  await expect(mine.getByText("live", { exact: true })).toBeVisible();
  await expect(mine).toContainText(`pid ${process.pid}`);
  await expect(mine).toContainText(`127.0.0.1:${port}`);
  await expect(mine).toContainText(`(${REALM.id})`);
  await expect(mine).toContainText("(HTTP/WebSocket)");
  await expect(mine).toContainText("every 200 ms");
  await expect(mine).toContainText(softwareVersion());
  // The signed-in client: one connection, one computer (the heartbeat carries the count).
  await expect(async () => {
    await page.reload();
    await expect(mine.getByTestId("connections")).toHaveText("1", { timeout: 500 });
  }).toPass({ timeout: 5_000 });
  await expect(mine).toContainText("1 computer signed in");

  const draining = page.getByTestId(`instance-${PEERS.draining}`);
  await expect(draining).toHaveAttribute("data-state", "draining");
  await expect(draining).toContainText("10.0.0.2:64571");
  await expect(draining).toContainText("moving its clients to peers");

  const stale = page.getByTestId(`instance-${PEERS.stale}`);
  await expect(stale).toHaveAttribute("data-state", "stale");
  await expect(stale.getByTestId("heartbeat-age")).toHaveText(/^(1[2-9]\d|2\d\d)\.\d s ago$|^\d+ min ago$/);
  await expect(stale).toContainText("dead or stuck");
  await expect(page.getByRole("main")).toContainText(/[1-9]\d* live, [1-9]\d* draining, [1-9]\d* stale/);
  await shot(page, "console-instances");
});

test("the administrator drains the live instance from the console: its client is told, it drains and leaves the list", async ({
  page,
}) => {
  const id = daemon.instanceId;
  const told = new Promise<string>((r) => client.on("shutdown", (x) => r(x.text)));
  // This daemon counts a heartbeat as fresh for 10 min (presenceStaleMs, above), so the "stale"
  // peer would be a switchserver target for its client; without an address it is not, and the
  // client is told `shutdown` (to reconnect through the balancer).
  await e2eDb().pool.query(`UPDATE daemon_instances SET addresses = '{}' WHERE id = $1`, [PEERS.stale]);
  await signIn(page, ADMIN);
  await page.goto("/console/instances");
  // Only a live realm instance can be drained: not the draining peer, not the stale one.
  await expect(page.getByTestId(`instance-${PEERS.draining}`).getByRole("button", { name: "Drain" })).toHaveCount(0);
  await expect(page.getByTestId(`instance-${PEERS.stale}`).getByRole("button", { name: "Drain" })).toHaveCount(0);
  const mine = page.getByTestId(`instance-${id}`);
  page.once("dialog", (d) => void d.accept());
  await mine.getByRole("button", { name: "Drain" }).click();
  // No error shown: the request was taken (the daemon reads it within a heartbeat, 200 ms here).
  await expect(mine.getByRole("alert")).toHaveCount(0);
  expect(await told).toMatch(/shutting down/);
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId(`instance-${id}`)).toHaveCount(0, { timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await expect(page.getByTestId(`instance-${PEERS.draining}`)).toBeVisible();
  const audit = await e2eDb().pool.query(
    `SELECT "actorLabel" FROM audit_log WHERE action = 'instance.drain' AND "targetId" = $1`,
    [id],
  );
  expect(audit.rows).toEqual([{ actorLabel: `operator:${ADMIN.username}` }]);
});

test("a realm operator has no instances page", async ({ page, baseURL }) => {
  await signIn(page, OPERATOR_A);
  await expect(page.getByRole("link", { name: "Instances" })).toHaveCount(0);
  const res = await page.goto(`${baseURL}/console/instances`);
  expect(res?.status()).toBe(404);
});
