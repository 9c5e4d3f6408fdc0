// Small helpers for the console browser tests.
import fs from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";

const SHOTS = path.resolve(import.meta.dirname, "../../../test-results/screenshots");

export async function signIn(page: Page, user: { username: string; password: string }): Promise<void> {
  await page.goto("/console/sign-in");
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("operator-name")).toHaveText(user.username);
}

/** Full-page screenshot saved as a test artifact under test-results/screenshots/. */
export async function shot(page: Page, name: string, opts: { width?: number } = {}): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  if (opts.width) await page.setViewportSize({ width: opts.width, height: 900 });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Changes a hidden form field in the page, the way a hand-crafted request would. */
export async function forgeHidden(page: Page, name: string, value: string): Promise<void> {
  const n = await page.locator(`input[type=hidden][name="${name}"]`).evaluateAll((els, v) => {
    for (const el of els) (el as HTMLInputElement).value = v;
    return els.length;
  }, value);
  expect(n, `hidden field ${name}`).toBeGreaterThan(0);
}
