// Every console and account page at 390×844 (a phone) and 1280×800: no page scrolls sideways,
// the console nav reaches every section, and a screenshot of each page at both sizes goes to
// test-results/screenshots/pages/ (gitignored).
import fs from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { registerAccount } from "../../lib/domain/registration.ts";
import { ADMIN } from "./helpers/console-fixtures.ts";
import { e2eDb } from "./helpers/e2e-db.ts";
import { signIn } from "./helpers/console-page.ts";

test.describe.configure({ mode: "serial" });
// Two sizes of every page on a shared two-core machine: more than the default minute.
test.setTimeout(300_000);

const SHOTS = path.resolve(import.meta.dirname, "../../test-results/screenshots/pages");
const SIZES = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
] as const;
const REALM = { id: "mobile.test:64557", host: "mobile.test", port: 64557, slug: "mobile", name: "Mobile Realm" };
const USER = { username: "pocket", password: "small-screen-passphrase" };

async function checkPage(page: Page, url: string, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.goto(url);
    await page.waitForLoadState("networkidle").catch(() => undefined);
    const { scroll, client } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(scroll, `${url} at ${size.width}px scrolls sideways`).toBeLessThanOrEqual(client);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${size.name}.png`), fullPage: true });
  }
}

test.beforeAll(async () => {
  const db = e2eDb();
  await db.prisma.realm.create({
    data: { ...REALM, registrationMode: "OPEN", captchaProvider: "NONE", userCap: 100, defaultQuotaBytes: 1n << 30n },
  });
  await registerAccount(db.pool, {
    realmId: REALM.id,
    username: USER.username,
    password: USER.password,
    captchaPassed: true,
  });
});

test("console pages fit a phone screen, and the nav reaches every section", async ({ page }) => {
  const db = e2eDb().prisma;
  const user = await db.user.findFirstOrThrow({ where: { username: "Alice" } });
  const op = await db.operator.findUniqueOrThrow({ where: { username: "operator-a" } });
  await checkPage(page, "/console/sign-in", "console-sign-in");
  await signIn(page, ADMIN);
  const pages: [string, string][] = [
    ["/console", "console-dashboard"],
    ["/console/realms", "console-realms"],
    ["/console/realms/new", "console-realm-new"],
    ["/console/realms/opengroove", "console-realm-settings"],
    ["/console/realms/opengroove/users", "console-users"],
    [`/console/realms/opengroove/users/${user.id}`, "console-user"],
    ["/console/realms/opengroove/invites", "console-invites"],
    ["/console/operators", "console-operators"],
    [`/console/operators/${op.id}`, "console-operator"],
    ["/console/federation", "console-federation"],
    ["/console/audit", "console-audit"],
  ];
  for (const [url, name] of pages) await checkPage(page, url, name);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/console");
  const nav = page.getByRole("navigation", { name: "Console" });
  for (const label of ["Dashboard", "Realms", "Operators", "Federation", "Audit log"])
    await expect(nav.getByRole("link", { name: label })).toBeInViewport();
});

test("account and public pages fit a phone screen", async ({ page }) => {
  await checkPage(page, "/", "landing");
  await checkPage(page, "/signup/mobile", "signup");
  await checkPage(page, "/account/sign-in", "account-sign-in");
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/account/sign-in");
  await page.getByLabel("Realm", { exact: true }).fill(REALM.slug);
  await page.getByLabel("Username or user id", { exact: true }).fill(USER.username);
  await page.getByLabel("Password", { exact: true }).fill(USER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await checkPage(page, "/account", "account");
  await checkPage(page, "/account/messages", "account-messages");
  await checkPage(page, `/message?to=${encodeURIComponent(`${REALM.id}::${USER.username}`)}`, "message-compose");
});
