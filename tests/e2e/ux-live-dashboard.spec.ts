// The console dashboard pushed live over server-sent events (/console/live): a realm daemon runs
// in this worker on the e2e database; when a client signs in to its realm, or a message starts
// waiting, the dashboard's figure changes within ~2 s without a reload; the stream comes back
// after it drops; without JavaScript the page still shows the figures as of loading.
import { expect, test } from "@playwright/test";
import { registerAccount } from "../../lib/domain/registration.ts";
import type { RealmDaemon } from "../../realm-daemon/daemon.ts";
import type { RealmClient } from "../../client/sdk/index.ts";
import { ADMIN } from "./helpers/console-fixtures.ts";
import { e2eDb } from "./helpers/e2e-db.ts";
import { shot, signIn } from "./helpers/console-page.ts";
import { connectTo, startE2eRealmDaemon } from "./helpers/realm-daemon.ts";

test.describe.configure({ mode: "serial" });

const REALM = { id: "pulse.test:64563", host: "pulse.test", port: 64563, slug: "pulse", name: "Pulse Realm" };
const A = { username: "pulsar", password: "pulse realm passphrase", computer: "desk" };
const B = { username: "quasar", password: "another sky phrase 9", computer: "desk" };

let daemon: RealmDaemon;
const clients: RealmClient[] = [];

async function connect(u: typeof A): Promise<RealmClient> {
  const c = await connectTo(daemon, REALM);
  clients.push(c);
  await c.authenticate(u.username, u.computer, u.password);
  return c;
}

test.beforeAll(async ({ baseURL }) => {
  const db = e2eDb();
  await db.prisma.realm.create({
    data: { ...REALM, registrationMode: "OPEN", captchaProvider: "NONE", userCap: 10, defaultQuotaBytes: 1n << 24n },
  });
  for (const u of [A, B]) {
    const user = await registerAccount(db.pool, { realmId: REALM.id, ...u, captchaPassed: true });
    await db.prisma.computer.create({ data: { userId: user.id, name: u.computer } });
  }
  daemon = await startE2eRealmDaemon("realm-pulse", baseURL!, { serveRealms: [REALM.id] });
});

test.afterAll(async () => {
  for (const c of clients) c.close();
  await daemon?.stop();
});

test("connections and waiting messages change on the open dashboard within ~2 s, without a reload", async ({
  page,
}) => {
  await signIn(page, ADMIN);
  await page.goto("/console");
  const row = page.getByTestId(`realm-row-${REALM.slug}`);
  await expect(page.getByTestId("live-status")).toHaveText("Live");
  await expect(row.getByTestId("live-connections")).toHaveText("0");
  await expect(row.getByTestId("live-messagesWaiting")).toHaveText("0");
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

  const a = await connect(A);
  await expect(row.getByTestId("live-connections")).toHaveText("1", { timeout: 2_500 });
  const b = await connect(B);
  await expect(row.getByTestId("live-connections")).toHaveText("2", { timeout: 2_500 });
  await a.send(`${REALM.id}::${A.username}`, [`${REALM.id}::${B.username}`], Buffer.from("ping"));
  await expect(row.getByTestId("live-messagesWaiting")).toHaveText("1", { timeout: 2_500 });
  await shot(page, "console-dashboard-live");
  const [id] = await b.inbox();
  await b.deleteMessage(id);
  await expect(row.getByTestId("live-messagesWaiting")).toHaveText("0", { timeout: 2_500 });
  b.close();
  await expect(row.getByTestId("live-connections")).toHaveText("1", { timeout: 2_500 });
  // The same page all along: nothing reloaded it.
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
});

test("the stream comes back after it drops", async ({ page }) => {
  await signIn(page, ADMIN);
  // The first stream ends at once, as a dropped connection does; the browser opens it again.
  let streams = 0;
  await page.route("**/console/live", async (route) => {
    if (++streams === 1)
      return route.fulfill({ status: 200, headers: { "content-type": "text/event-stream" }, body: "retry: 300\n\n" });
    return route.continue();
  });
  await page.goto("/console");
  const row = page.getByTestId(`realm-row-${REALM.slug}`);
  const before = Number(await row.getByTestId("live-connections").textContent());
  await expect.poll(() => streams, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId("live-status")).toHaveText("Live");
  await connect(B);
  await expect(row.getByTestId("live-connections")).toHaveText(String(before + 1), { timeout: 2_500 });
});

test("without JavaScript the dashboard shows the figures as of loading", async ({ page, browser }) => {
  await signIn(page, ADMIN);
  const ctx = await browser.newContext({ storageState: await page.context().storageState(), javaScriptEnabled: false });
  try {
    const p = await ctx.newPage();
    await p.goto("/console");
    const row = p.getByTestId(`realm-row-${REALM.slug}`);
    await expect(row.getByTestId("live-connections")).toHaveText(/^\d+$/);
    expect(Number(await row.getByTestId("live-connections").textContent())).toBeGreaterThanOrEqual(1);
    await expect(p.getByTestId("live-status")).toHaveText("Figures as of loading this page (reload for current ones)");
  } finally {
    await ctx.close();
  }
});

test("the event stream refuses a visitor who is not signed in", async ({ request }) => {
  const r = await request.get("/console/live");
  expect(r.status()).toBe(401);
});
