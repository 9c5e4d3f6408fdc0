// Console changes reaching a running realm daemon without a restart: a realm daemon runs in this
// worker on the e2e database, a test client is connected and signed in as a realm user, and the
// operator works in the browser. The client sees quota edits; suspension closes its session; the
// dashboard shows its computer online (presence pushed by the daemon).
import { expect, test } from "@playwright/test";
import { registerAccount } from "../../lib/domain/registration.ts";
import type { RealmDaemon } from "../../realm-daemon/daemon.ts";
import type { RealmClient } from "../../client/sdk/index.ts";
import { ADMIN } from "./helpers/console-fixtures.ts";
import { e2eDb } from "./helpers/e2e-db.ts";
import { shot, signIn } from "./helpers/console-page.ts";
import { connectTo, startE2eRealmDaemon } from "./helpers/realm-daemon.ts";

test.describe.configure({ mode: "serial" });

const REALM = { id: "live.test:64555", host: "live.test", port: 64555, slug: "live", name: "Live Realm" };
const USER = { username: "livewire", password: "live-wire-passphrase", computer: "workstation" };
const MB = 1024n * 1024n;

let daemon: RealmDaemon;
let client: RealmClient;
let userId: string;

test.beforeAll(async ({ baseURL }) => {
  const db = e2eDb();
  await db.prisma.realm.create({
    data: { ...REALM, registrationMode: "OPEN", captchaProvider: "NONE", userCap: 100, defaultQuotaBytes: 50n * MB },
  });
  const user = await registerAccount(db.pool, {
    realmId: REALM.id,
    username: USER.username,
    password: USER.password,
    captchaPassed: true,
  });
  userId = user.id;
  await db.prisma.computer.create({ data: { userId, name: USER.computer } });
  daemon = await startE2eRealmDaemon("realm-e2e", baseURL!);
  if (!daemon.listeners.actualPort(REALM.port)) throw new Error("the live realm is not served");
  client = await connectTo(daemon, REALM);
  await client.authenticate(USER.username, USER.computer, USER.password);
});

test.afterAll(async () => {
  client?.close();
  await daemon?.stop();
});

test("the dashboard shows the connected computer online, reported by the running daemon", async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page.getByTestId(`realm-row-${REALM.slug}`).getByRole("cell").nth(4)).toHaveText("1");
  await page.goto(`/console/realms/${REALM.slug}/users/${userId}`);
  await expect(page.getByRole("listitem").filter({ hasText: USER.computer })).toContainText("online");
});

test("quota edits in the console reach the connected client without a restart", async ({ page }) => {
  expect((await client.quotas()).storage).toBe(50n * MB);
  await signIn(page, ADMIN);

  // The realm's default quota…
  await page.goto(`/console/realms/${REALM.slug}`);
  await page.getByLabel("Default storage quota per user", { exact: true }).fill("80");
  await page.getByLabel("Default storage quota per user unit").selectOption("MiB");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("main").getByText(`Settings of ${REALM.name} saved.`)).toBeVisible();
  await expect.poll(async () => (await client.quotas()).storage, { timeout: 2_000 }).toBe(80n * MB);

  // …and a per-user override, plus the immediate-message rate.
  await page.goto(`/console/realms/${REALM.slug}/users/${userId}`);
  await page.getByLabel("Quota override", { exact: true }).fill("2");
  await page.getByLabel("Quota override unit").selectOption("GiB");
  await page.getByLabel("Immediate messages per minute").fill("7");
  await page.getByRole("button", { name: "Save quota and permissions" }).click();
  await expect(page.getByRole("main").getByText(`Limits of ${USER.username} saved.`)).toBeVisible();
  await expect
    .poll(
      async () => {
        const q = await client.quotas();
        return [q.storage, q.imessageRate];
      },
      { timeout: 2_000 },
    )
    .toEqual([2n * 1024n * MB, 7]);
});

test("suspending the user in the console closes their live session within a second", async ({ page }) => {
  const closed = new Promise<number>((resolve) => client.onClose(() => resolve(Date.now())));
  await signIn(page, ADMIN);
  await page.goto(`/console/realms/${REALM.slug}/users/${userId}`);
  page.once("dialog", (d) => void d.accept());
  const clicked = Date.now();
  await page.getByRole("button", { name: "Suspend user" }).click();
  await expect(page.getByRole("main").getByText(`${USER.username} is suspended`)).toBeVisible();
  const at = await Promise.race([
    closed,
    new Promise<number>((_, reject) => setTimeout(() => reject(new Error("the session was not closed")), 5_000)),
  ]);
  expect(at - clicked).toBeLessThan(2_000);
  await shot(page, "user-suspended-live");

  // A suspended user cannot sign in again.
  const again = await connectTo(daemon, REALM);
  await expect(again.authenticate(USER.username, USER.computer, USER.password)).rejects.toThrow();
  again.close();
});
