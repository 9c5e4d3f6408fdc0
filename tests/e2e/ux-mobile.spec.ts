// Every page of the app (the table in helpers/page-routes.ts) at 1280×800 and 390×844 (a phone):
// no page scrolls sideways; on the phone every table fits, becomes cards (stack-table) or
// scrolls inside a box that fits the screen, and no user id sticks out of the screen; a
// screenshot of each page at both sizes goes to test-results/screenshots/pages/ (gitignored).
// A page.tsx without a row in the table fails the first test, so pages added later are covered.
import fs from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { registerAccount } from "../../lib/domain/registration.ts";
import { ADMIN } from "./helpers/console-fixtures.ts";
import { e2eDb } from "./helpers/e2e-db.ts";
import { signIn } from "./helpers/console-page.ts";
import { accountSignIn } from "./helpers/account-page.ts";
import {
  MOBILE_REALM,
  MOBILE_USER,
  PAGE_ROUTES,
  routeOfPageFile,
  type Audience,
  type PageRoute,
} from "./helpers/page-routes.ts";

test.describe.configure({ mode: "serial" });
// Two sizes of every page on a shared two-core machine: more than the default minute.
test.setTimeout(300_000);

const APP = path.resolve(import.meta.dirname, "../../app");
const SHOTS = path.resolve(import.meta.dirname, "../../test-results/screenshots/pages");
const SIZES = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
] as const;

function pageFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return pageFiles(p);
    return e.name === "page.tsx" ? [path.relative(APP, p)] : [];
  });
}

/** What does not fit a phone: tables that neither stack nor scroll in a fitting box, user ids past the edge. */
async function phoneProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const out: string[] = [];
    for (const t of Array.from(document.querySelectorAll("table"))) {
      if (!t.getClientRects().length) continue; // not shown
      if (getComputedStyle(t).display === "block") continue; // cards (stack-table)
      if (t.getBoundingClientRect().right <= vw + 1) continue; // a narrow table that fits as it is
      let box: HTMLElement | null = t.parentElement;
      while (box && !["auto", "scroll"].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
      const label = t.getAttribute("data-testid") ?? t.querySelector("caption, th")?.textContent ?? "a table";
      if (!box) out.push(`table "${label}" neither becomes cards nor scrolls in its box`);
      else if (box.getBoundingClientRect().right > vw + 1)
        out.push(`the scroll box of table "${label}" is wider than the screen`);
    }
    for (const u of Array.from(document.querySelectorAll<HTMLElement>("[data-user-id]"))) {
      if (!u.getClientRects().length) continue;
      let scroller: HTMLElement | null = u.parentElement;
      while (scroller && !["auto", "scroll"].includes(getComputedStyle(scroller).overflowX))
        scroller = scroller.parentElement;
      if (!scroller && u.getBoundingClientRect().right > vw + 1)
        out.push(`user id ${u.dataset.userId} runs past the screen`);
    }
    return out;
  });
}

async function checkPage(page: Page, route: PageRoute): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const url = await route.url(e2eDb().prisma);
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    const res = await page.goto(url);
    expect(res?.status(), `${url} answers`).toBeLessThan(400);
    await page.waitForLoadState("networkidle").catch(() => undefined);
    const { scroll, client } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(scroll, `${url} at ${size.width}px scrolls sideways`).toBeLessThanOrEqual(client);
    if (size.name === "phone") expect(await phoneProblems(page), `${url} on a phone`).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, `${route.name}-${size.name}.png`), fullPage: true });
  }
}

const of = (audience: Audience) => PAGE_ROUTES.filter((r) => r.audience === audience);

test.beforeAll(async () => {
  const db = e2eDb();
  await db.prisma.realm.create({
    data: {
      ...MOBILE_REALM,
      registrationMode: "OPEN",
      captchaProvider: "NONE",
      userCap: 100,
      defaultQuotaBytes: 1n << 30n,
    },
  });
  await registerAccount(db.pool, { realmId: MOBILE_REALM.id, ...MOBILE_USER, captchaPassed: true });
});

test("every page of the app is in the table of pages checked here", () => {
  const listed = new Set(PAGE_ROUTES.map((r) => r.pattern));
  const missing = pageFiles(APP)
    .map(routeOfPageFile)
    .filter((r) => !listed.has(r));
  expect(missing, "add these pages to tests/e2e/helpers/page-routes.ts").toEqual([]);
  expect(new Set(PAGE_ROUTES.map((r) => r.name)).size, "screenshot names are unique").toBe(PAGE_ROUTES.length);
});

test("public pages fit a phone screen", async ({ page }) => {
  for (const r of of("public")) await checkPage(page, r);
});

test("console pages fit a phone screen, and the nav reaches every section", async ({ page }) => {
  await signIn(page, ADMIN);
  for (const r of of("operator")) await checkPage(page, r);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/console");
  const nav = page.getByRole("navigation", { name: "Console" });
  for (const label of ["Dashboard", "Realms", "Operators", "Federation", "Audit log"])
    await expect(nav.getByRole("link", { name: label })).toBeInViewport();
});

test("account pages fit a phone screen", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await accountSignIn(page, { realm: MOBILE_REALM.slug, ...MOBILE_USER });
  for (const r of of("account")) await checkPage(page, r);
});
