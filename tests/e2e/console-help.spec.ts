// Editing a realm's help documents in the console (the Help tab): a bad path shows a field
// error, a new document is created, edited and deleted; what the page saved is what the
// database (and so gethelpdocument) holds.
import { expect, test } from "@playwright/test";
import { ADMIN } from "./helpers/console-fixtures.ts";
import { e2eDb } from "./helpers/e2e-db.ts";
import { shot, signIn } from "./helpers/console-page.ts";

test("help documents: create with validation, edit, delete", async ({ page }) => {
  const prisma = e2eDb().prisma;
  const realm = await prisma.realm.findUniqueOrThrow({ where: { slug: "opengroove" } });
  await prisma.helpDocument.deleteMany({ where: { realmId: realm.id } });
  await signIn(page, ADMIN);
  await page.goto("/console/realms/opengroove");
  await page.getByRole("navigation", { name: "Realm sections" }).getByRole("link", { name: "Help" }).click();
  await expect(page.getByRole("heading", { name: "Help documents" })).toBeVisible();
  await expect(page.getByText("No help documents yet")).toBeVisible();

  // A bad path: field error, the text typed is kept.
  await page.getByLabel("Path", { exact: true }).fill("getting started");
  await page.getByLabel("Document", { exact: true }).fill("<h1>Welcome</h1>");
  await page.getByRole("button", { name: "Save document" }).click();
  await expect(page.getByTestId("error-help-path")).toContainText("starts with /");
  await expect(page.getByLabel("Document", { exact: true })).toHaveValue("<h1>Welcome</h1>");

  await page.getByLabel("Path", { exact: true }).fill("/getting-started");
  await page.getByRole("button", { name: "Save document" }).click();
  await expect(
    page.getByRole("main").getByRole("status").getByText("Help document /getting-started created."),
  ).toBeVisible();
  await expect(page.getByTestId("help-row")).toHaveCount(1);
  await expect(page.getByTestId("help-row")).toContainText("/getting-started");
  await shot(page, "console-help");

  // Edit: the form opens with the stored text; saving replaces it.
  await page.getByRole("link", { name: "Edit /getting-started" }).click();
  await expect(page.getByRole("heading", { name: "Edit /getting-started" })).toBeVisible();
  await expect(page.getByLabel("Document", { exact: true })).toHaveValue("<h1>Welcome</h1>");
  await page.getByLabel("Document", { exact: true }).fill('<h1>Welcome</h1><p><a href="help:///faq">FAQ</a></p>');
  await page.getByRole("button", { name: "Save document" }).click();
  await expect(
    page.getByRole("main").getByRole("status").getByText("Help document /getting-started saved."),
  ).toBeVisible();
  const stored = await prisma.helpDocument.findUniqueOrThrow({
    where: { realmId_path: { realmId: realm.id, path: "/getting-started" } },
  });
  expect(stored.body).toBe('<h1>Welcome</h1><p><a href="help:///faq">FAQ</a></p>');

  // Delete (after confirming).
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId("help-row").getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId("help-row")).toHaveCount(0);
  expect(await prisma.helpDocument.count({ where: { realmId: realm.id } })).toBe(0);
});
