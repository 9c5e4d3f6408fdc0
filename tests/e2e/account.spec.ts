// Realm users on the web, against a real realm daemon running in this worker on the e2e
// database: sign-in with realm credentials (and the wall between account and console sessions),
// storage breakdown, removing a computer, changing the password, and the browser mailbox over
// the daemon's WebSocket transport — sending to a user on an SDK client, reading the reply that
// arrives live. The web server was told (playwright.config.ts) that the realm's WebSocket port is
// OG_E2E_REALM_WS_PORT; this spec forwards that port to the daemon's ephemeral HTTP port.
import { messageOverheadBytes } from "../../lib/domain/quota-rule.ts";
import { expect, test, type Page } from "@playwright/test";
import { registerAccount } from "../../lib/domain/registration.ts";
import type { RealmDaemon } from "../../realm-daemon/daemon.ts";
import type { RealmClient } from "../../client/sdk/index.ts";
import type { SecureMessaging } from "../../client/sdk/secure-messages.ts";
import { decodeEnvelope, encodeEnvelope } from "../../lib/envelope.ts";
import { ADMIN } from "./helpers/console-fixtures.ts";
import { e2eDb } from "./helpers/e2e-db.ts";
import { shot, signIn as operatorSignIn } from "./helpers/console-page.ts";
import { submitAccountSignIn } from "./helpers/account-page.ts";
import { connectTo, forwardRealmWebSocket, secureMessaging, startE2eRealmDaemon } from "./helpers/realm-daemon.ts";

test.describe.configure({ mode: "serial" });

const REALM = { id: "acct.test:64557", host: "acct.test", port: 64557, slug: "acct", name: "Account Realm" };
const WEB = { username: "webber", password: "first passphrase 42", id: `${REALM.id}::webber` };
const PAL = { username: "penpal", password: "a long pen passphrase", id: `${REALM.id}::penpal` };
const MB = 1024n * 1024n;

let daemon: RealmDaemon;
let forward: { close(): Promise<void> } | undefined;
let pal: RealmClient;
/** pal's end-to-end layer: the mailbox encrypts for pal's computer, so pal publishes keys and opens what it gets. */
let palSm: SecureMessaging;
let webLaptop: RealmClient;
let palUserId: string;

const connect = () => connectTo(daemon, REALM);

/** penpal on its "desk" computer, with keys published. */
async function palOnline(): Promise<void> {
  pal = await connect();
  await pal.authenticate(PAL.username, "desk", PAL.password);
  palSm = secureMessaging(pal, PAL.id, "desk");
  await palSm.publishKeys();
}

test.beforeAll(async ({ baseURL }) => {
  const db = e2eDb();
  await db.prisma.realm.create({
    data: { ...REALM, registrationMode: "OPEN", captchaProvider: "NONE", userCap: 100, defaultQuotaBytes: 10n * MB },
  });
  const web = await registerAccount(db.pool, {
    realmId: REALM.id,
    username: WEB.username,
    password: WEB.password,
    captchaPassed: true,
  });
  const p = await registerAccount(db.pool, {
    realmId: REALM.id,
    username: PAL.username,
    password: PAL.password,
    captchaPassed: true,
  });
  palUserId = p.id;
  await db.prisma.computer.createMany({
    data: [
      { userId: web.id, name: "laptop" },
      { userId: web.id, name: "old-phone" },
      { userId: p.id, name: "desk" },
    ],
  });
  daemon = await startE2eRealmDaemon("realm-e2e", baseURL!);
  forward = await forwardRealmWebSocket(daemon);

  await palOnline();
  webLaptop = await connect();
  await webLaptop.authenticate(WEB.username, "laptop", WEB.password);
  // Storage to show: a 4 KB message webber sent (waiting for penpal) and a setting.
  await webLaptop.setUserSetting("theme", "dark");
  await webLaptop.send(WEB.id, [PAL.id], Buffer.alloc(4096, 1));
  // A message only webber's "old-phone" will ever fetch; charged to penpal until it goes.
  await pal.send(PAL.id, [{ userId: WEB.id, computer: "old-phone" }], Buffer.alloc(2048, 2));
});

test.afterAll(async () => {
  pal?.close();
  webLaptop?.close();
  await forward?.close();
  await daemon?.stop();
});

async function accountSignIn(page: Page, opts: { fullId?: boolean } = {}): Promise<void> {
  await submitAccountSignIn(
    page,
    opts.fullId
      ? { username: WEB.id, password: WEB.password }
      : { realm: REALM.slug, username: WEB.username, password: WEB.password },
  );
  await expect(page.getByTestId("signed-in-as")).toHaveText(WEB.id);
}

test("a realm user signs in; account and console sessions do not open each other's pages", async ({ page }) => {
  await page.goto("/account");
  await expect(page).toHaveURL(/\/account\/sign-in\?next=%2Faccount$/);
  await page.getByLabel("Realm", { exact: true }).fill(REALM.slug);
  await page.getByLabel("Username or user id", { exact: true }).fill(WEB.username);
  await page.getByLabel("Password", { exact: true }).fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").first()).toHaveText("Wrong realm, username or password.");
  await shot(page, "account-sign-in-failed");
  await page.getByLabel("Password", { exact: true }).fill(WEB.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId("signed-in-as")).toHaveText(WEB.id);

  // Storage against the 10 MB quota, and what uses it.
  // webber's 4,096-byte message to penpal plus its overhead (1,024 + 64 for penpal's one computer).
  await expect(page.getByTestId("storage-summary")).toHaveText("5.1 KiB of 10 MiB used, 10 MiB free.");
  await expect(page.getByTestId("storage-messages")).toContainText("5.1 KiB");
  await expect(page.getByTestId("storage-workspaces")).toContainText("0 B");
  await expect(page.getByTestId("storage-settings")).toContainText("9 B");
  await expect(page.getByTestId("computer-laptop")).toContainText("online");
  await expect(page.getByTestId("computer-old-phone")).toContainText("offline");
  await shot(page, "account-overview");

  // A realm user's session does not open the console…
  await page.goto("/console");
  await expect(page).toHaveURL(/\/console\/sign-in/);
  await page.goto("/console/realms");
  await expect(page).toHaveURL(/\/console\/sign-in/);
  // …and an operator's session does not open an account.
  await operatorSignIn(page, ADMIN);
  await page.goto("/account");
  await expect(page).toHaveURL(/\/account\/sign-in/);
  await page.goto("/account/messages");
  await expect(page).toHaveURL(/\/account\/sign-in\?next=%2Faccount%2Fmessages$/);

  // The full user id works without the realm field; signing out ends the session.
  await accountSignIn(page, { fullId: true });
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/account\/sign-in$/);
  await page.goto("/account");
  await expect(page).toHaveURL(/\/account\/sign-in/);
});

test("a suspended account is refused with a clear message", async ({ page }) => {
  const db = e2eDb();
  await db.prisma.user.update({ where: { id: palUserId }, data: { status: "SUSPENDED" } });
  try {
    await submitAccountSignIn(page, { username: PAL.id, password: PAL.password });
    await expect(page.getByRole("alert").first()).toContainText("suspended");
  } finally {
    await db.prisma.user.update({ where: { id: palUserId }, data: { status: "ACTIVE" } });
  }
  // The suspension closed penpal's live session; connect again for the next tests.
  pal.close();
  await palOnline();
});

test("removing a computer deletes what waited for it and releases the sender's storage", async ({ page }) => {
  const bytes = async () => (await e2eDb().prisma.user.findUniqueOrThrow({ where: { id: palUserId } })).messageBytes;
  expect(await bytes()).toBe(2048n + messageOverheadBytes(1));
  await accountSignIn(page);
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Remove old-phone" }).click();
  await expect(page.getByTestId("computer-old-phone")).toHaveCount(0);
  await expect(page.getByTestId("computer-laptop")).toBeVisible();
  await expect.poll(bytes).toBe(0n);
  await expect(page.getByTestId("storage-messages")).toContainText("5.1 KiB"); // webber's own message to penpal still waits
});

test("changing the password: the current one is checked, the new one works everywhere", async ({ page }) => {
  await accountSignIn(page);
  const next = "second passphrase 77";
  await page.getByLabel("Current password", { exact: true }).fill("wrong current password");
  await page.getByLabel("New password", { exact: true }).fill(next);
  await page.getByLabel("New password again", { exact: true }).fill(next);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("main").getByText("That is not your current password.")).toBeVisible();
  await page.getByLabel("Current password", { exact: true }).fill(WEB.password);
  await page.getByLabel("New password", { exact: true }).fill("short");
  await page.getByLabel("New password again", { exact: true }).fill("short");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("main").getByText("A password has at least 10 characters.")).toBeVisible();
  await shot(page, "account-password-errors");
  await page.getByLabel("Current password", { exact: true }).fill(WEB.password);
  await page.getByLabel("New password", { exact: true }).fill(next);
  await page.getByLabel("New password again", { exact: true }).fill(next);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("main").getByText("Your password was changed.")).toBeVisible();
  WEB.password = next;
  const c = await connect();
  try {
    expect(await c.authenticate(WEB.username, "", next)).toBe(WEB.id);
  } finally {
    c.close();
  }
});

test("the browser mailbox: send to an SDK user, get the reply live, read, reply, download, delete with undo", async ({
  page,
}) => {
  await accountSignIn(page);
  await page.getByRole("link", { name: "Messages" }).click();
  await page.getByLabel("Password", { exact: true }).fill("wrong password here");
  await page.getByRole("button", { name: "Open messages" }).click();
  await expect(page.getByTestId("mailbox-problem")).toHaveText("Wrong password.");
  await page.getByLabel("Password", { exact: true }).fill(WEB.password);
  await page.getByRole("button", { name: "Open messages" }).click();
  await expect(page.getByText("No messages waiting.")).toBeVisible();

  // Send from the browser (encrypted in the page); the SDK client opens it and reads the CLI envelope.
  const before = new Set(await pal.inbox());
  await page.getByLabel("To", { exact: true }).fill(PAL.id);
  await page.getByLabel("Subject", { exact: true }).fill("Hello from the browser");
  await page.getByLabel("Message", { exact: true }).fill("Typed in Chromium, read by the SDK.");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByTestId("send-result")).toHaveText(`Sent to ${PAL.id}, end-to-end encrypted.`);
  await expect.poll(async () => (await pal.inbox()).filter((id) => !before.has(id)).length).toBe(1);
  const sent = (await pal.inbox()).find((id) => !before.has(id))!;
  const got = decodeEnvelope((await palSm.read(sent)).body);
  expect([got.header.subject, got.header.contentType, got.body.toString("utf8")]).toEqual([
    "Hello from the browser",
    "text/plain; charset=utf-8",
    "Typed in Chromium, read by the SDK.",
  ]);
  const info = await pal.messageInfo(sent);
  expect([info.sender, info.senderComputer]).toEqual([WEB.id, "web"]);

  // The reply arrives while the page is open: no reload.
  await pal.send(
    PAL.id,
    [WEB.id],
    encodeEnvelope(
      { subject: "Re: Hello", contentType: "text/plain; charset=utf-8" },
      Buffer.from("Got it — from the SDK."),
    ),
  );
  const row = page.getByTestId("inbox-row").filter({ hasText: "Re: Hello" });
  await expect(row).toBeVisible({ timeout: 5_000 });
  await expect(row).toContainText(PAL.id);
  await expect(page.getByTestId("live-region")).toHaveText(`New message from ${PAL.id}: Re: Hello`);
  await pal.send(
    PAL.id,
    [WEB.id],
    encodeEnvelope(
      { subject: "The notes", filename: "notes.bin", contentType: "application/octet-stream" },
      Buffer.from([0, 1, 2, 3, 255]),
    ),
  );
  await expect(page.getByTestId("inbox-row")).toHaveCount(2);
  await shot(page, "account-mailbox");

  await row.getByRole("button", { name: /^Open message/ }).click();
  await expect(page.getByTestId("message-text")).toHaveText("Got it — from the SDK.");
  await shot(page, "account-message-open");
  await page
    .getByTestId("inbox-row")
    .filter({ hasText: "The notes" })
    .getByRole("button", { name: /^Open message/ })
    .click();
  await expect(page.getByTestId("message-download")).toHaveAttribute("download", "notes.bin");
  const download = page.waitForEvent("download");
  await page.getByTestId("message-download").click();
  expect((await download).suggestedFilename()).toBe("notes.bin");

  // Received dates: relative, the exact time on hover.
  await expect(row.getByTestId("received-at")).toHaveText("just now");
  await expect(row.getByTestId("received-at")).toHaveAttribute("title", /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);

  // Reply: the open message's sender and "Re:" subject are filled in; the reply reaches the SDK user.
  await row.getByRole("button", { name: /^Open message/ }).click();
  await page.getByRole("button", { name: "Reply", exact: true }).click();
  await expect(page.getByLabel("To", { exact: true })).toHaveValue(PAL.id);
  await expect(page.getByLabel("Subject", { exact: true })).toHaveValue("Re: Hello");
  await expect(page.getByLabel("Message", { exact: true })).toBeFocused();
  const beforeReply = new Set(await pal.inbox());
  await page.getByLabel("Message", { exact: true }).fill("Answered from the mailbox.");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByTestId("send-result")).toHaveText(`Sent to ${PAL.id}, end-to-end encrypted.`);
  await expect.poll(async () => (await pal.inbox()).filter((id) => !beforeReply.has(id)).length).toBe(1);
  const replied = (await pal.inbox()).find((id) => !beforeReply.has(id))!;
  expect(decodeEnvelope((await palSm.read(replied)).body).header.subject).toBe("Re: Hello");

  // Delete with undo: the row goes at once, Undo brings it back and nothing was deleted…
  const waiting = () =>
    e2eDb()
      .pool.query(
        `SELECT 1 FROM message_recipients mr JOIN messages m ON m.id = mr."messageId" WHERE m."messageId" LIKE $1 AND mr.computer = 'web'`,
        [`${PAL.id}-%`],
      )
      .then((r) => r.rowCount);
  expect(await waiting()).toBe(2);
  await row.getByRole("button", { name: /^Delete message/ }).click();
  await expect(page.getByTestId("inbox-row")).toHaveCount(1);
  await expect(page.getByTestId("undo-toast")).toContainText("Deleted “Re: Hello”.");
  await shot(page, "account-mailbox-undo");
  await page.getByTestId("undo-toast").getByRole("button", { name: "Undo" }).click();
  await expect(page.getByTestId("inbox-row")).toHaveCount(2);
  await page.waitForTimeout(7_000); // longer than the undo window: still nothing sent
  expect(await waiting()).toBe(2);
  // …and without Undo the delete is sent when the toast goes.
  await row.getByRole("button", { name: /^Delete message/ }).click();
  await expect(page.getByTestId("inbox-row")).toHaveCount(1);
  await expect(page.getByTestId("undo-toast")).toHaveCount(0, { timeout: 10_000 });
  await expect.poll(waiting).toBe(1);
  await page.reload();
  await page.getByLabel("Password", { exact: true }).fill(WEB.password);
  await page.getByRole("button", { name: "Open messages" }).click();
  await expect(page.getByTestId("inbox-row")).toHaveCount(1);
  await expect(page.getByTestId("inbox-row")).toContainText("The notes");

  // A sender's HTML is offered as bytes, never as a page of this origin (a blob: URL opened in a
  // tab would run its script here).
  await pal.send(
    PAL.id,
    [WEB.id],
    encodeEnvelope(
      { subject: "Open me", filename: "page.html", contentType: "text/html" },
      Buffer.from("<script>document.title = 'pwned'</script>"),
    ),
  );
  await page
    .getByTestId("inbox-row")
    .filter({ hasText: "Open me" })
    .getByRole("button", { name: /^Open message/ })
    .click();
  const href = await page.getByTestId("message-download").getAttribute("href");
  expect(href).toMatch(/^blob:/);
  expect(await page.evaluate(async (u) => (await fetch(u!)).headers.get("content-type"), href)).toBe(
    "application/octet-stream",
  );
});

test("/message?to=… sends from the browser for a signed-in user", async ({ page }) => {
  await page.goto(`/message?to=${encodeURIComponent(PAL.id)}&subject=Quick+question`);
  await expect(page.getByTestId("send-unavailable")).toBeVisible();
  await page.getByTestId("sign-in-to-send").click();
  await page.getByLabel("Username or user id", { exact: true }).fill(WEB.id);
  await page.getByLabel("Password", { exact: true }).fill(WEB.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-compose")).toBeVisible();
  await expect(page.getByLabel("To", { exact: true })).toHaveValue(PAL.id);
  await expect(page.getByLabel("Subject", { exact: true })).toHaveValue("Quick question");
  const before = new Set(await pal.inbox());
  await page.getByLabel("Message", { exact: true }).fill("Sent from a message-me link.");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByText("Enter your password to send.")).toBeVisible();
  await page.getByLabel("Your password", { exact: true }).fill(WEB.password);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByTestId("send-result")).toHaveText(`Sent to ${PAL.id}, end-to-end encrypted.`);
  await shot(page, "message-compose-signed-in");
  await expect.poll(async () => (await pal.inbox()).filter((id) => !before.has(id)).length).toBe(1);
  const id = (await pal.inbox()).find((x) => !before.has(x))!;
  const got = decodeEnvelope((await palSm.read(id)).body);
  expect([got.header.subject, got.body.toString("utf8")]).toEqual(["Quick question", "Sent from a message-me link."]);
});
