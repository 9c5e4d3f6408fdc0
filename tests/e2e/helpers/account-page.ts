// Steps on the realm users' account pages (/account): signing in and unlocking the browser mailbox.
import { expect, type Page } from "@playwright/test";

/**
 * Fills and submits /account/sign-in (the realm field only when given, e.g. not for a full user
 * id); the caller checks the outcome.
 */
export async function submitAccountSignIn(
  page: Page,
  user: { realm?: string; username: string; password: string },
): Promise<void> {
  await page.goto("/account/sign-in");
  if (user.realm !== undefined) await page.getByLabel("Realm", { exact: true }).fill(user.realm);
  await page.getByLabel("Username or user id", { exact: true }).fill(user.username);
  await page.getByLabel("Password", { exact: true }).fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs in to the account pages and waits for /account. */
export async function accountSignIn(
  page: Page,
  user: { realm?: string; username: string; password: string },
): Promise<void> {
  await submitAccountSignIn(page, user);
  await expect(page).toHaveURL(/\/account$/);
}

/** Opens /account/messages and unlocks the browser mailbox with the password; the caller checks what shows. */
export async function unlockMailbox(page: Page, password: string): Promise<void> {
  await page.goto("/account/messages");
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Open messages" }).click();
}
