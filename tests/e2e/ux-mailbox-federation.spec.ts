// The browser mailbox sending to users of another realm, against real federation: a management
// server and a far realm (own database) from the federation test harness, and a realm daemon for
// the near realm on the e2e database that the web server's mailbox reaches through the
// OG_E2E_REALM_WS_PORT forward (as in account.spec.ts). An unknown user on the far realm is an
// error on the To field at once; with the far realm down the message is queued and the page says
// so; the bounce that follows reads as a letter in the mailbox. Messages are end-to-end encrypted
// in the page with the far user's keys, which the near realm looks up on the far realm
// (docs/clients.md); with the far realm down they cannot be had, and the user ticks "send
// without end-to-end encryption" to queue it anyway.
import { expect, test, type Page } from "@playwright/test";
import { registerAccount } from "../../lib/domain/registration.ts";
import type { RealmDaemon } from "../../realm-daemon/daemon.ts";
import { FEDERATION_DEFAULTS } from "../../realm-daemon/federation/config.ts";
import {
  FAST,
  startManagement,
  startRealmNode,
  waitFor,
  type ManagementHarness,
  type RealmNode,
} from "../helpers/federation.ts";
import { e2eDb } from "./helpers/e2e-db.ts";
import { shot } from "./helpers/console-page.ts";
import { accountSignIn, unlockMailbox } from "./helpers/account-page.ts";
import { forwardRealmWebSocket, secureMessaging, startE2eRealmDaemon } from "./helpers/realm-daemon.ts";

test.describe.configure({ mode: "serial" });
test.setTimeout(120_000);

const NEAR = { id: "near.test:64559", host: "near.test", port: 64559, slug: "near", name: "Near Realm" };
const ME = { username: "nearby", password: "near realm passphrase" };

let m: ManagementHarness;
let far: RealmNode;
let near: RealmDaemon;
let forward: { close(): Promise<void> } | undefined;

test.beforeAll(async ({ baseURL }) => {
  test.setTimeout(120_000);
  m = await startManagement();
  far = await startRealmNode("far", m.address, { token: await m.token() });
  await far.waitApproved(30_000);
  const bob = await far.user("bob");
  await secureMessaging(bob.client, bob.userId, "laptop").publishKeys();
  const db = e2eDb();
  await db.prisma.realm.create({
    data: { ...NEAR, registrationMode: "OPEN", captchaProvider: "NONE", userCap: 10, defaultQuotaBytes: 1n << 24n },
  });
  await registerAccount(db.pool, { realmId: NEAR.id, ...ME, captchaPassed: true });
  near = await startE2eRealmDaemon("realm-near", baseURL!, {
    serveRealms: [NEAR.id],
    federation: {
      managementAddress: m.address,
      managementTls: true,
      managementFingerprint: "",
      enrollmentToken: await m.token(),
      advertiseHost: "127.0.0.1",
      plainTcp: false,
      limits: { ...FEDERATION_DEFAULTS, ...FAST },
    },
  });
  await waitFor(() => near.federation?.links.get(NEAR.id)?.usable === true, 30_000, "the near realm approved");
  forward = await forwardRealmWebSocket(near);
});

test.afterAll(async () => {
  await forward?.close();
  await near?.stop();
  await far?.drop();
  await m?.drop();
});

async function openMailbox(page: Page): Promise<void> {
  await accountSignIn(page, { realm: NEAR.slug, ...ME });
  await unlockMailbox(page, ME.password);
  await expect(page.getByText("No messages waiting.")).toBeVisible();
}

async function send(page: Page, to: string, subject: string): Promise<void> {
  await page.getByLabel("To", { exact: true }).fill(to);
  await page.getByLabel("Subject", { exact: true }).fill(subject);
  await page.getByLabel("Message", { exact: true }).fill("Across realms.");
  await page.getByRole("button", { name: "Send", exact: true }).click();
}

test("an unknown user on a reachable realm is an error on the To field at once; a known one gets it", async ({
  page,
}) => {
  await openMailbox(page);
  await send(page, `${far.realmId}::carol`, "Hello Carol");
  const to = page.getByLabel("To", { exact: true });
  await expect(
    page.getByRole("alert").filter({ hasText: "No such user carol on realm far.test:63745." }),
  ).toBeVisible();
  await expect(to).toHaveAttribute("aria-invalid", "true");
  await expect(to).toBeFocused();
  await expect(page.getByTestId("send-result")).toHaveCount(0);
  await shot(page, "account-mailbox-no-such-remote-user");
  const queued = await e2eDb().pool.query(`SELECT 1 FROM federation_outbox WHERE "targetRealmId" = $1`, [far.realmId]);
  expect(queued.rowCount).toBe(0);

  await send(page, `${far.realmId}::bob`, "Hello Bob");
  await expect(page.getByTestId("send-result")).toHaveText(`Sent to ${far.realmId}::bob, end-to-end encrypted.`);
});

test("the other realm down: queued and said so; the bounce arrives as a readable letter", async ({ page }) => {
  await openMailbox(page);
  await far.stop();
  await send(page, `${far.realmId}::carol`, "Lunch?");
  // The far realm cannot be asked for carol's keys: not sent until the user accepts plaintext.
  await expect(page.getByTestId("send-result")).toContainText(
    `Not sent: it cannot be encrypted for ${far.realmId}::carol. The keys of ${far.realmId}::carol cannot be looked up now`,
  );
  await page.getByLabel("Send it without end-to-end encryption (the realm can read it)").check();
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByTestId("send-result")).toContainText(
    `Queued for ${far.realmId}::carol: realm ${far.realmId} could not be reached`,
  );
  await expect(page.getByTestId("send-result")).toContainText("you get a message from the postmaster");
  await shot(page, "account-mailbox-queued");
  await far.start();
  const bounce = page.getByTestId("inbox-row").filter({ hasText: "Undelivered: Lunch?" });
  await expect(bounce).toBeVisible({ timeout: 30_000 });
  await expect(bounce).toContainText(`${NEAR.id}::postmaster`);
  await bounce.getByRole("button", { name: /^Open message/ }).click();
  await expect(page.getByTestId("message-text")).toContainText(
    `Your message “Lunch?” could not be delivered to ${far.realmId}::carol: no such user.`,
  );
  await expect(page.getByTestId("message-text")).toContainText("--- delivery report (machine-readable) ---");
  // Nobody reads replies to the postmaster.
  await expect(page.getByRole("button", { name: "Reply", exact: true })).toHaveCount(0);
  await shot(page, "account-mailbox-bounce");
});
