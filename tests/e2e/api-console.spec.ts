// The operator API from the console, in a real browser against the production build: create an
// API token (shown once), use it on /api/v1 over HTTP, revoke it (the API then answers 401);
// create a user from the realm's users page and set their password through the one-time link;
// see and reset a throttled signup address. Screenshots of the new pages at 1280 and 390 wide.
import { expect, test, type Page } from "@playwright/test";
import { ADMIN, OPERATOR_A } from "./helpers/console-fixtures.ts";
import { e2eDb } from "./helpers/e2e-db.ts";
import { shot, signIn } from "./helpers/console-page.ts";

test.describe.configure({ mode: "serial" });

async function oneTimeValue(page: Page): Promise<string> {
  const v = await page.getByTestId("one-time-value").inputValue();
  expect(v.length).toBeGreaterThan(20);
  return v;
}

test("an operator creates an API token, uses it on /api/v1, revokes it, and it stops working", async ({
  page,
  request,
}) => {
  await signIn(page, OPERATOR_A);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "API tokens" }).click();
  await expect(page.getByRole("heading", { name: "API tokens", level: 1 })).toBeVisible();
  await page.getByLabel("Name").fill("e2e provisioning");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByRole("main").getByText("API token created. Copy it now")).toBeVisible();
  const token = await oneTimeValue(page);
  expect(token).toMatch(/^ogt_/);
  const row = page.getByTestId("api-token-row").filter({ hasText: "e2e provisioning" });
  await expect(row).toContainText(token.slice(0, 12));
  await expect(row).toContainText("active");
  await shot(page, "api-tokens");
  await shot(page, "api-tokens-mobile", { width: 390 });
  await page.setViewportSize({ width: 1280, height: 900 });

  const realms = await request.get("/api/v1/realms", { headers: { authorization: `Bearer ${token}` } });
  expect(realms.status()).toBe(200);
  const body = await realms.json();
  expect(body.data.realms.map((r: { slug: string }) => r.slug)).toEqual(["opengroove"]);
  const other = await request.get("/api/v1/realms/trivergia/users", { headers: { authorization: `Bearer ${token}` } });
  expect(other.status()).toBe(404);
  const denied = await request.get("/api/v1/operators", { headers: { authorization: `Bearer ${token}` } });
  expect(denied.status()).toBe(403);
  const invite = await request.post("/api/v1/realms/opengroove/invites", {
    headers: { authorization: `Bearer ${token}` },
    data: { usesAllowed: 0, expiresIn: "7" },
  });
  expect(invite.status()).toBe(400);
  expect((await invite.json()).fieldErrors.usesAllowed).toEqual(["Number of uses must be at least 1."]);
  const doc = await request.get("/api/v1/openapi.json");
  expect((await doc.json()).openapi).toBe("3.1.0");

  page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("revoked");
  const after = await request.get("/api/v1/realms", { headers: { authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);
  expect(await after.json()).toEqual({
    ok: false,
    status: 401,
    error: "Missing, unknown, expired or revoked API token.",
  });
  const audit = await e2eDb().prisma.auditLog.findFirst({ where: { action: "operator.api-token-revoke" } });
  expect(audit?.actorLabel).toBe(`operator:${OPERATOR_A.username}`);
});

test("create a user from the console; they set their password once through the link and sign in", async ({
  page,
  browser,
}) => {
  await signIn(page, ADMIN);
  await page.goto("/console/realms/trivergia/users");
  await page.getByText("New user").click();
  await page.getByLabel("Username").fill("a");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.locator("#newuser-username")).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Username").fill("Newcomer");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByRole("main").getByText("Newcomer created.")).toBeVisible();
  const link = await oneTimeValue(page);
  expect(link).toMatch(/\/account\/set-password\?token=/);
  await shot(page, "user-create");

  const visitor = await browser.newContext();
  const p2 = await visitor.newPage();
  await p2.goto(link);
  await expect(p2.getByRole("heading", { name: "Choose your password" })).toBeVisible();
  await expect(p2.getByText("::Newcomer")).toBeVisible();
  await shot(p2, "set-password-mobile", { width: 390 });
  await p2.setViewportSize({ width: 1280, height: 900 });
  await p2.getByLabel("New password", { exact: true }).fill("lantern-over-river-7");
  await p2.getByLabel("New password again").fill("lantern-over-river-8");
  await p2.getByRole("button", { name: "Set password" }).click();
  await expect(p2.getByText("The two passwords differ.")).toBeVisible();
  await p2.getByLabel("New password", { exact: true }).fill("lantern-over-river-7");
  await p2.getByLabel("New password again").fill("lantern-over-river-7");
  await p2.getByRole("button", { name: "Set password" }).click();
  await expect(p2.getByTestId("password-set")).toContainText("Password set for");
  await shot(p2, "set-password-done");

  await p2.getByRole("link", { name: "Sign in to your account" }).click();
  await expect(p2.getByLabel("Realm")).toHaveValue("trivergia");
  await p2.getByLabel("Username or user id").fill("Newcomer");
  await p2.getByLabel("Password").fill("lantern-over-river-7");
  await p2.getByRole("button", { name: "Sign in" }).click();
  await expect(p2).toHaveURL(/\/account$/);

  await p2.goto(link);
  await expect(p2.getByRole("heading", { name: "This link does not work" })).toBeVisible();
  await visitor.close();
});

test("a throttled signup address is shown for its realm and reset from the console", async ({ page }) => {
  const prisma = e2eDb().prisma;
  const realm = await prisma.realm.findUniqueOrThrow({ where: { slug: "opengroove" } });
  // The e2e web server allows 1000 attempts per window (tests/e2e/signup-env.ts): this address used them all.
  await prisma.rateLimitBucket.create({
    data: { key: `signup-ip:${realm.id}|198.51.100.77`, windowStart: new Date(), count: 1000 },
  });
  await signIn(page, OPERATOR_A);
  await page.goto("/console/realms/opengroove");
  await page.getByRole("navigation", { name: "Realm sections" }).getByRole("link", { name: "Signup throttle" }).click();
  const row = page.getByTestId("throttle-row").filter({ hasText: "198.51.100.77" });
  await expect(row).toContainText("1000 / 1000");
  await expect(row).toContainText("throttled");
  await shot(page, "signup-throttle");
  await shot(page, "signup-throttle-mobile", { width: 390 });
  await page.setViewportSize({ width: 1280, height: 900 });
  page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Reset" }).click();
  await expect(row).toHaveCount(0);
  expect(await prisma.rateLimitBucket.count({ where: { key: `signup-ip:${realm.id}|198.51.100.77` } })).toBe(0);
  const entry = await prisma.auditLog.findFirst({ where: { action: "user.signup-throttle-reset" } });
  expect([entry?.targetId, entry?.realmId]).toEqual(["198.51.100.77", realm.id]);
});
