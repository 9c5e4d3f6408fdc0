// Console feedback and small fixes operators notice (issue #14, part 1–3): the result of a save
// is always in view (a toast, focus on the first invalid field), hCaptcha keys only with hCaptcha,
// full user ids for the contact user, role labels that fit, a disabled realm's signup page,
// binary units, copying on origins without the clipboard API, and ?next= through sign-in.
import { expect, test, type Page } from "@playwright/test";
import { ADMIN } from "./helpers/console-fixtures.ts";
import { e2eDb } from "./helpers/e2e-db.ts";
import { shot, signIn } from "./helpers/console-page.ts";

test.describe.configure({ mode: "serial" });

test("a failed save far down a long form shows a toast in view and focuses the first invalid field", async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, ADMIN);
  await page.goto("/console/realms/opengroove");
  await page.getByLabel("Contact user").fill("bob");
  await page.getByLabel("Largest workspace change", { exact: true }).fill("-1");
  await page.getByRole("button", { name: "Save settings" }).click();
  const toast = page.getByTestId("toast");
  await expect(toast).toHaveText(/Please correct the highlighted fields\./);
  await expect(toast).toBeInViewport();
  const contact = page.getByLabel("Contact user");
  await expect(contact).toBeFocused();
  await expect(contact).toBeInViewport();
  await expect(page.locator("#f-contactUserId-error")).toContainText("full user id");
  await shot(page, "feedback-toast-error");

  await contact.fill("console.test:63745::alice");
  await page.getByLabel("Largest workspace change", { exact: true }).fill("256");
  await page.getByRole("button", { name: "Save settings" }).scrollIntoViewIfNeeded();
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(toast).toHaveText(/saved/);
  await expect(toast).toBeInViewport();
  await expect(toast).toHaveAttribute("role", "status");
  const realm = await e2eDb().prisma.realm.findUniqueOrThrow({ where: { slug: "opengroove" } });
  expect(realm.contactUserId).toBe("console.test:63745::alice");
});

test("hCaptcha key fields show only when hCaptcha is the chosen provider", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto("/console/realms/opengroove");
  const provider = page.getByLabel("Captcha for open signup");
  const siteKey = page.getByLabel("hCaptcha site key");
  await provider.selectOption("NONE");
  await expect(siteKey).toBeHidden();
  await expect(page.getByLabel("hCaptcha secret")).toBeHidden();
  await provider.selectOption("ALTCHA");
  await expect(siteKey).toBeHidden();
  await expect(page.getByText("ALTCHA runs on this server")).toBeVisible();
  await provider.selectOption("HCAPTCHA");
  await expect(siteKey).toBeVisible();
  await expect(page.getByLabel("hCaptcha secret")).toBeVisible();
});

/** Whether the selected option's text fits inside the select (not cut off). */
async function selectTextFits(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((el) => {
    const s = el as HTMLSelectElement;
    const style = getComputedStyle(s);
    const ctx = document.createElement("canvas").getContext("2d")!;
    ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const text = ctx.measureText(s.options[s.selectedIndex].text).width;
    const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return text <= room;
  });
}

test("the operator role label is not cut off, on a wide and a narrow screen", async ({ page }) => {
  await signIn(page, ADMIN);
  for (const width of [1280, 900, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto("/console/operators");
    for (const value of ["REALM_OPERATOR", "ADMIN"]) {
      await page.locator("#newop-role").selectOption(value);
      expect(await selectTextFits(page, "#newop-role"), `${value} at ${width}px`).toBe(true);
    }
  }
  await expect(page.getByText("Realm operators manage only the realms ticked below")).toBeVisible();
});

test("a disabled realm's signup page says the realm is closed, not that it does not exist", async ({ page }) => {
  await e2eDb().prisma.realm.create({
    data: {
      id: "shut.test:64556",
      host: "shut.test",
      port: 64556,
      slug: "shut",
      name: "Shut Realm",
      status: "DISABLED",
      registrationMode: "OPEN",
      userCap: 10,
      defaultQuotaBytes: 1024n * 1024n,
    },
  });
  await page.goto("/signup/shut");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Shut Realm is closed");
  await expect(page.getByTestId("realm-disabled")).toBeVisible();
  await expect(page.getByText("Realm not found")).toHaveCount(0);
  await page.goto("/signup/no-such-realm");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Realm not found");
});

test("sizes read in binary units, the same in the list and in the edit form", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto("/console/realms");
  await expect(page.getByRole("row").filter({ hasText: "Trivergia" })).toContainText("5 GiB");
  await page.goto("/console/realms/trivergia");
  await expect(page.getByLabel("Default storage quota per user", { exact: true })).toHaveValue("5");
  await expect(page.getByLabel("Default storage quota per user unit")).toHaveValue("GiB");
  await expect(page.locator("body")).not.toContainText(/\d (KB|MB|GB)\b/);
});

test("copy works where the clipboard API exists, and says 'press Ctrl+C' with the text selected where it does not", async ({
  browser,
  baseURL,
}) => {
  // With the clipboard API (127.0.0.1 is a secure origin).
  const secure = await browser.newContext({ baseURL, permissions: ["clipboard-read", "clipboard-write"] });
  const p1 = await secure.newPage();
  await signIn(p1, ADMIN);
  await p1.goto("/console/realms/opengroove/invites");
  await p1.getByRole("button", { name: "Create invite" }).click();
  const value = await p1.getByTestId("one-time-value").inputValue();
  await p1.getByRole("button", { name: "Copy", exact: true }).click();
  await expect(p1.getByTestId("copy-hint")).toHaveText("Copied to the clipboard.");
  expect(await p1.evaluate(() => navigator.clipboard.readText())).toBe(value);
  await secure.close();

  // As on http://lan-host: no clipboard API, and the legacy copy command refused.
  const insecure = await browser.newContext({ baseURL });
  await insecure.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined });
    document.execCommand = () => false;
  });
  const p2 = await insecure.newPage();
  await signIn(p2, ADMIN);
  await p2.goto("/console/realms/opengroove/invites");
  await p2.getByRole("button", { name: "Create invite" }).click();
  const field = p2.getByTestId("one-time-value");
  await p2.getByRole("button", { name: "Copy", exact: true }).click();
  await expect(p2.getByTestId("copy-hint")).toContainText("press Ctrl+C");
  await expect(p2.getByRole("button", { name: "Copy", exact: true })).toBeVisible();
  await expect(field).toBeFocused();
  const sel = await field.evaluate((el) => {
    const i = el as HTMLInputElement;
    return [i.selectionStart, i.selectionEnd, i.value.length];
  });
  expect(sel).toEqual([0, sel[2], sel[2]]);
  await shot(p2, "copy-fallback");
  await insecure.close();
});

test("a deep link survives sign-in (?next=), and only console paths are followed", async ({ page }) => {
  await page.goto("/console/realms/trivergia/invites?x=1");
  await expect(page).toHaveURL(/\/console\/sign-in\?next=%2Fconsole%2Frealms%2Ftrivergia%2Finvites%3Fx%3D1$/);
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/console\/realms\/trivergia\/invites\?x=1$/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/console/sign-in?next=https%3A%2F%2Fevil.example%2Fconsole");
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/console$/);
});

test("the audit log reads as sentences: labels, units, realm names, relative time with the exact time on hover", async ({
  page,
}) => {
  await signIn(page, ADMIN);
  await page.goto("/console/realms/trivergia");
  await page.getByLabel("Default storage quota per user", { exact: true }).fill("2");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByTestId("toast")).toHaveText(/saved/);

  await page.goto("/console/audit?realm=trivergia&action=realm.update");
  // Filters stay selected after filtering.
  await expect(page.getByLabel("Realm", { exact: true })).toHaveValue("trivergia");
  await expect(page.getByLabel("Action")).toHaveValue("realm.update");
  const entry = page.getByTestId("audit-entry").first();
  await expect(entry).toContainText("Realm settings changed");
  await expect(entry).toContainText("by admin");
  await expect(entry).toContainText("realm Trivergia");
  const time = entry.locator("time");
  await expect(time).toHaveText(/just now|minutes? ago/);
  await expect(time).toHaveAttribute("title", /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  await entry.getByText(/fields? changed/).click();
  const changes = entry.getByTestId("audit-changes");
  await expect(changes).toContainText("Default quota:");
  await expect(changes).toContainText("5 GiB → 2 GiB");
  await expect(changes).not.toContainText("updatedAt");
  await expect(changes).not.toContainText("defaultQuotaBytes");
  await shot(page, "audit-human");
});

test("signup success: the exact CLI commands (with --computer) and a link to the account page", async ({ page }) => {
  await e2eDb().prisma.realm.update({
    where: { slug: "opengroove" },
    data: { captchaProvider: "NONE", registrationMode: "OPEN" },
  });
  await page.goto("/signup/opengroove");
  await page.getByLabel("Username").fill("Newcomer");
  await page.getByLabel("Password", { exact: true }).fill("a-long-new-passphrase-1");
  await page.getByLabel("Password again").fill("a-long-new-passphrase-1");
  // The form-time guard wants a few seconds between showing the form and sending it.
  await page.waitForTimeout(3500);
  await page.getByRole("button", { name: /Create my account/ }).click();
  await expect(page.getByTestId("signup-success")).toBeVisible();
  const id = await page.getByTestId("new-user-id").innerText();
  await expect(page.getByTestId("cli-login")).toHaveText(
    `opengroove login ${id} --computer laptop --create-computer --realm-name opengroove`,
  );
  await expect(page.getByTestId("account-link")).toHaveAttribute("href", "/account/sign-in");
  await shot(page, "signup-success");
});
