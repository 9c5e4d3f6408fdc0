// public/: the favicon and the logo are served, and pages load without a 404 for any of their
// own requests (browsers ask for /favicon.ico on every page).
import { expect, test } from "@playwright/test";

test("/favicon.ico and /logo.svg answer 200 with image types", async ({ request }) => {
  const ico = await request.get("/favicon.ico");
  expect(ico.status()).toBe(200);
  expect(ico.headers()["content-type"]).toMatch(/^image\/(x-icon|vnd\.microsoft\.icon)/);
  const body = await ico.body();
  // ICONDIR: reserved 0, type 1 (icon), at least one image.
  expect([body.readUInt16LE(0), body.readUInt16LE(2), body.readUInt16LE(4) > 0]).toEqual([0, 1, true]);
  const svg = await request.get("/logo.svg");
  expect(svg.status()).toBe(200);
  expect(svg.headers()["content-type"]).toMatch(/^image\/svg\+xml/);
});

for (const path of ["/", "/console/sign-in", "/account/sign-in"]) {
  test(`${path} loads without a 404 for its own requests, and links the icons`, async ({ page, baseURL }) => {
    const missing: string[] = [];
    page.on("response", (r) => {
      if (r.status() === 404 && r.url().startsWith(baseURL!)) missing.push(r.url());
    });
    await page.goto(path);
    await page.waitForLoadState("networkidle");
    // Chromium asks for the icon the page links (or /favicon.ico) on its own.
    const icons = await page.locator('link[rel="icon"]').evaluateAll((ls) => ls.map((l) => l.getAttribute("href")));
    expect(icons.some((h) => h?.startsWith("/favicon.ico"))).toBe(true);
    const direct = await page.request.get("/favicon.ico");
    expect(direct.status()).toBe(200);
    expect(missing).toEqual([]);
  });
}
