// Signup in a real browser: hCaptcha (script host routed to a local widget double, tokens from
// the local siteverify double), ALTCHA end to end, invite links, a closed realm, the ticket
// (CONTINUE) flow, and the message-link pages. No request leaves the machine.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { test, expect, type Page } from "@playwright/test";
import { connectDb, type DbHandle } from "../../lib/db/client.ts";
import { e2eDb } from "./helpers/e2e-db.ts";
import { openTicket, registerWithTicket } from "../../lib/domain/tickets.ts";
import { createInvite, createRealm } from "../helpers/signup-fixtures.ts";
import { HCAPTCHA_E2E, hcaptchaVerifierUrl } from "./signup-env.ts";

const SHOTS = path.resolve(import.meta.dirname, "../../test-results/screenshots");
const DOUBLE = fs
  .readFileSync(path.resolve(import.meta.dirname, "../helpers/hcaptcha-widget-double.js"), "utf8")
  .replaceAll("__VERIFIER_URL__", hcaptchaVerifierUrl());
const PASSWORD = "a-long-enough-passphrase";
const MIN_FORM_MS = 3_300;

const run = crypto.randomBytes(3).toString("hex");
const port0 = 20_000 + (parseInt(run, 16) % 20_000);
const R = {
  hc: { slug: `hc-${run}`, port: port0 },
  pow: { slug: `pow-${run}`, port: port0 + 1 },
  club: { slug: `club-${run}`, port: port0 + 2 },
  shut: { slug: `shut-${run}`, port: port0 + 3 },
};
const HOST = "signup-e2e.test";
const INVITE = `invite-${run}-code`;

let handle: DbHandle;
let ownHandle = false;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  // The shared e2e database (playwright.config.ts), or DATABASE_URL when run on its own.
  if (process.env.OG_E2E_DB) handle = e2eDb();
  else if (process.env.DATABASE_URL) {
    handle = connectDb(process.env.DATABASE_URL, { max: 2 });
    ownHandle = true;
  } else throw new Error("Run with playwright.config.ts (OG_E2E_DB) or set DATABASE_URL to the web server's database");
  const p = handle.prisma;
  await createRealm(p, {
    ...R.hc,
    host: HOST,
    name: "Captcha Valley",
    registrationMode: "OPEN",
    captchaProvider: "HCAPTCHA",
    hcaptchaSiteKey: HCAPTCHA_E2E.siteKey,
    hcaptchaSecret: HCAPTCHA_E2E.secret,
  });
  await createRealm(p, {
    ...R.pow,
    host: HOST,
    name: "Proof of Work",
    registrationMode: "OPEN",
    captchaProvider: "ALTCHA",
  });
  const club = await createRealm(p, { ...R.club, host: HOST, name: "The Club", registrationMode: "INVITE" });
  await createInvite(p, club, INVITE, 1);
  await createRealm(p, {
    ...R.shut,
    host: HOST,
    name: "Closed Shop",
    registrationMode: "CLOSED",
    contactEmail: "owner@closed.test",
  });
  fs.mkdirSync(SHOTS, { recursive: true });
});

test.afterAll(async () => {
  if (ownHandle) await handle.close();
});

test.beforeEach(async ({ page }) => {
  // Nothing may reach the outside world; hCaptcha's script host gets the local double.
  await page.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => route.abort("blockedbyclient"));
  await page.route(/^https:\/\/js\.hcaptcha\.com\/1\/api\.js/, (route) =>
    route.fulfill({ status: 200, contentType: "application/javascript", body: DOUBLE }),
  );
});

async function fillAccount(page: Page, username: string, confirm = PASSWORD) {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Password again").fill(confirm);
}

/** The server refuses forms sent sooner than a few seconds after the page was rendered. */
async function waitMinFormTime(page: Page, since: number) {
  const left = MIN_FORM_MS - (Date.now() - since);
  if (left > 0) await page.waitForTimeout(left);
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

test("hCaptcha realm: tick the widget, sign up, see the user id and how to sign in", async ({ page }) => {
  await page.goto(`/signup/${R.hc.slug}`);
  const t0 = Date.now();
  await expect(page.getByRole("heading", { name: "Create an account on Captcha Valley" })).toBeVisible();
  await fillAccount(page, "Hanna");
  await page.getByTestId("hcaptcha-double").locator("input").check();
  await expect(page.getByTestId("hcaptcha-double")).toContainText("Verified");
  await shot(page, "signup-hcaptcha-form");
  await waitMinFormTime(page, t0);
  await page.getByRole("button", { name: /Create my account/ }).click();
  await expect(page.getByTestId("new-user-id")).toHaveText(`${HOST}:${R.hc.port}::Hanna`);
  await expect(page.getByTestId("cli-login")).toContainText(`${HOST}:${R.hc.port}::Hanna`);
  await shot(page, "signup-hcaptcha-success");
  const user = await handle.prisma.user.findFirst({ where: { realmId: `${HOST}:${R.hc.port}`, usernameKey: "hanna" } });
  expect(user?.username).toBe("Hanna");
});

test("hCaptcha realm: field errors keep what was typed and do not spend the captcha", async ({ page }) => {
  await page.goto(`/signup/${R.hc.slug}`);
  const t0 = Date.now();
  await fillAccount(page, "hanna", "something-else-entirely");
  await page.getByTestId("hcaptcha-double").locator("input").check();
  await expect(page.getByTestId("hcaptcha-double")).toContainText("Verified");
  await waitMinFormTime(page, t0);
  await page.getByRole("button", { name: /Create my account/ }).click();
  await expect(page.getByTestId("error-confirm")).toContainText("do not match");
  await expect(page.getByLabel("Username")).toHaveValue("hanna");
  await shot(page, "signup-field-errors");
  // Fix the typo; the name is taken (any case): the username field says so.
  await page.getByLabel("Password again").fill(PASSWORD);
  await page.getByRole("button", { name: /Create my account/ }).click();
  await expect(page.getByTestId("error-username")).toContainText("taken");
  // That attempt used the captcha answer up, so the widget was reset for a new one.
  await expect(page.getByTestId("hcaptcha-double")).toContainText("I am human");
  await shot(page, "signup-username-taken");
});

test("ALTCHA realm: the browser solves the proof of work; no outside service", async ({ page }) => {
  await page.goto(`/signup/${R.pow.slug}`);
  const t0 = Date.now();
  await fillAccount(page, "Pat");
  await expect(page.getByText("Done: your browser has finished the check.")).toBeVisible({ timeout: 40_000 });
  await shot(page, "signup-altcha-form");
  await waitMinFormTime(page, t0);
  await page.getByRole("button", { name: /Create my account/ }).click();
  await expect(page.getByTestId("new-user-id")).toHaveText(`${HOST}:${R.pow.port}::Pat`);
  await shot(page, "signup-altcha-success");
});

test("invite realm: the invite link fills in the code; a used-up code is refused", async ({ page }) => {
  await page.goto(`/signup/${R.club.slug}?invite=${INVITE}`);
  let t0 = Date.now();
  await expect(page.getByLabel("Invite code")).toHaveValue(INVITE);
  await fillAccount(page, "ines");
  await shot(page, "signup-invite-form");
  await waitMinFormTime(page, t0);
  await page.getByRole("button", { name: /Create my account/ }).click();
  await expect(page.getByTestId("new-user-id")).toHaveText(`${HOST}:${R.club.port}::ines`);
  const invite = await handle.prisma.invite.findFirst({ where: { realmId: `${HOST}:${R.club.port}` } });
  expect([invite?.pending, invite?.completed]).toEqual([0, 1]);

  await page.goto(`/signup/${R.club.slug}?invite=${INVITE}`);
  t0 = Date.now();
  await fillAccount(page, "ivo");
  await waitMinFormTime(page, t0);
  await page.getByRole("button", { name: /Create my account/ }).click();
  await expect(page.getByTestId("error-invite")).toContainText("not valid");
  await shot(page, "signup-invite-used-up");
});

test("closed and unknown realms say so", async ({ page }) => {
  await page.goto(`/signup/${R.shut.slug}`);
  await expect(page.getByTestId("registration-closed")).toContainText("owner@closed.test");
  await expect(page.getByLabel("Username")).toHaveCount(0);
  await shot(page, "signup-closed");
  await page.goto(`/signup/no-such-realm-${run}`);
  await expect(page.getByTestId("no-realm")).toBeVisible();
});

test("ticket (CONTINUE) flow: captcha only, the code completes the client's registration", async ({ page }) => {
  const realmId = `${HOST}:${R.hc.port}`;
  const ticket = await openTicket(handle.pool, realmId);
  await page.goto(`/signup/${R.hc.slug}?ticket=${ticket}`);
  const t0 = Date.now();
  await expect(page.getByLabel("Username")).toHaveCount(0);
  await page.getByTestId("hcaptcha-double").locator("input").check();
  await expect(page.getByTestId("hcaptcha-double")).toContainText("Verified");
  await waitMinFormTime(page, t0);
  await page.getByRole("button", { name: "Continue" }).click();
  const token = (await page.getByTestId("completion-token").textContent())?.trim() ?? "";
  expect(token.length).toBeGreaterThan(10);
  await shot(page, "signup-ticket-token");
  const user = await registerWithTicket(handle.pool, ticket, token, {
    realmId,
    username: "cli-user",
    password: PASSWORD,
  });
  expect(user.username).toBe("cli-user");
  await page.goto(`/signup/${R.hc.slug}?ticket=${ticket}`);
  await expect(page.getByTestId("ticket-invalid")).toBeVisible();
});

test("message pages: compose from a link, and a 'message me' link with a QR code", async ({ page }) => {
  await page.goto(
    `/message?to=${encodeURIComponent("opengroovemessage://trivergia.com:64731/javawizard?subject=Hi+Alex")}`,
  );
  await expect(page.getByRole("heading", { name: "Message javawizard" })).toBeVisible();
  await expect(page.getByLabel("Subject")).toHaveValue("Hi Alex");
  await expect(page.getByTestId("send-unavailable")).toBeVisible();
  await page.getByLabel("Message").fill("See you on Friday");
  await expect(page.getByTestId("open-in-app")).toHaveAttribute(
    "href",
    "opengroovemessage://trivergia.com:64731/javawizard?subject=Hi%20Alex&body=See%20you%20on%20Friday",
  );
  await shot(page, "message-compose");

  await page.goto(`/message?to=not-a-user`);
  await expect(page.getByTestId("bad-recipient")).toContainText("not a user id");

  await page.goto(`/message/link`);
  await page.getByLabel("Your user id").fill("trivergia.com:64731::javawizard");
  await page.getByLabel(/Subject to suggest/).fill("Hello there");
  await page.getByRole("button", { name: "Make the link" }).click();
  await expect(page.getByTestId("app-link")).toHaveText(
    "opengroovemessage://trivergia.com:64731/javawizard?subject=Hello%20there",
  );
  await expect(page.getByTestId("qr-code")).toBeVisible();
  await shot(page, "message-link-qr");
});
