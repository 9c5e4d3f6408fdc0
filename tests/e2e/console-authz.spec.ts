// The authorization matrix in the browser and by direct request: a realm operator of A gets 404
// for every page of realm B and every administrator page, and every server action aimed at B
// (forged form fields or replayed requests) answers "Not found." without changing anything.
// Server actions from another origin are refused (CSRF), as are cross-site route-handler POSTs.
import { expect, test, type Page, type Request } from "@playwright/test";
import { ADMIN, OPERATOR_A } from "./helpers/console-fixtures.ts";
import { e2eDb } from "./helpers/e2e-db.ts";
import { forgeHidden, shot, signIn } from "./helpers/console-page.ts";

test.describe.configure({ mode: "serial" });

async function ids() {
  const db = e2eDb().prisma;
  const realmB = await db.realm.findUniqueOrThrow({ where: { slug: "trivergia" } });
  const userA = await db.user.findFirstOrThrow({ where: { username: "Alice" } });
  const userB = await db.user.findFirstOrThrow({ where: { realmId: realmB.id } });
  const admin = await db.operator.findUniqueOrThrow({ where: { username: ADMIN.username } });
  return { realmB, userA, userB, admin };
}

/** Submits a form and records the server action request it makes. */
async function captureAction(page: Page, submit: () => Promise<void>): Promise<Request> {
  const req = page.waitForRequest((r) => r.method() === "POST" && Boolean(r.headers()["next-action"]));
  await submit();
  return req;
}

function replayHeaders(req: Request, origin: string): Record<string, string> {
  const h = req.headers();
  return {
    "next-action": h["next-action"],
    "content-type": h["content-type"],
    accept: h["accept"] ?? "text/x-component",
    origin,
  };
}

test("an operator of realm A sees only realm A and gets 404 for realm B and admin pages", async ({ page, baseURL }) => {
  const { userB, admin } = await ids();
  await signIn(page, OPERATOR_A);
  await expect(page.getByTestId("realm-row-opengroove")).toBeVisible();
  await expect(page.getByTestId("realm-row-trivergia")).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Operators" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Federation" })).toHaveCount(0);
  const forbidden = [
    "/console/realms/trivergia",
    "/console/realms/trivergia/users",
    "/console/realms/trivergia/users?q=b",
    "/console/realms/trivergia/invites",
    `/console/realms/trivergia/users/${userB.id}`,
    `/console/realms/opengroove/users/${userB.id}`,
    "/console/realms/no-such-realm",
    "/console/realms/new",
    "/console/operators",
    `/console/operators/${admin.id}`,
    "/console/federation",
    "/console/instances",
  ];
  for (const path of forbidden) {
    const res = await page.goto(`${baseURL}${path}`);
    expect(res?.status(), path).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" }), path).toBeVisible();
  }
  await shot(page, "not-found");
  await page.goto("/console/audit?realm=trivergia");
  await expect(page.getByText("No entries")).toBeVisible();
});

test("server actions with realm B's ids forged into realm A's forms answer Not found and change nothing", async ({
  page,
}) => {
  const { realmB, userA, userB } = await ids();
  const db = e2eDb().prisma;
  const snapshot = async () =>
    JSON.stringify(
      [
        await db.realm.findUniqueOrThrow({ where: { id: realmB.id } }),
        await db.user.findUniqueOrThrow({ where: { id: userB.id } }),
        await db.invite.findMany({ where: { realmId: realmB.id }, orderBy: { id: "asc" } }),
      ],
      (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v),
    );
  const before = await snapshot();
  await signIn(page, OPERATOR_A);

  await page.goto("/console/realms/opengroove");
  await forgeHidden(page, "realmId", realmB.id);
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Not found.");

  await page.goto(`/console/realms/opengroove/users/${userA.id}`);
  await forgeHidden(page, "userId", userB.id);
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Suspend user" }).click();
  await expect(page.getByRole("main").getByRole("alert").first()).toHaveText("Not found.");
  await page.getByRole("button", { name: "Reset password" }).click();
  await page.getByRole("button", { name: "Save quota and permissions" }).click();
  await expect(page.getByRole("main").getByRole("alert").filter({ hasText: "Not found." })).toHaveCount(3);

  await page.goto("/console/realms/opengroove/invites");
  await forgeHidden(page, "realmId", realmB.id);
  await page.getByRole("button", { name: "Create invite" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Not found.");
  const inviteB = await db.invite.findFirstOrThrow({ where: { realmId: realmB.id } });
  await page.reload();
  await forgeHidden(page, "inviteId", inviteB.id);
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Revoke" }).first().click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Not found.");

  expect(await snapshot()).toBe(before);
});

test("replayed administrator actions: refused for a realm operator (403/404), 401 without a session, refused from another origin", async ({
  browser,
  baseURL,
}) => {
  const db = e2eDb().prisma;
  const adminCtx = await browser.newContext();
  const adminPage = await adminCtx.newPage();
  await signIn(adminPage, ADMIN);
  await adminPage.goto("/console/federation");
  await adminPage.getByLabel("Valid for (hours)").fill("1");
  const tokenReq = await captureAction(adminPage, () =>
    adminPage.getByRole("button", { name: "Create enrollment token" }).click(),
  );
  await expect(adminPage.getByTestId("one-time-value")).toBeVisible();
  await adminPage.goto("/console/operators");
  await adminPage.getByLabel("Username").fill("replayed-admin");
  await adminPage.getByLabel("Password").fill("replayed-admin-password");
  await adminPage.getByLabel("Role").selectOption("ADMIN");
  const opReq = await captureAction(adminPage, () =>
    adminPage.getByRole("button", { name: "Create operator" }).click(),
  );
  await expect(adminPage.getByRole("main").getByText("Operator replayed-admin created.")).toBeVisible();
  await db.operator.delete({ where: { username: "replayed-admin" } });

  const tokens = () => db.enrollmentToken.count();
  const operators = () => db.operator.count();
  const [t0, o0] = [await tokens(), await operators()];

  // The replay itself works: the administrator's own session creates another token.
  const ok = await adminCtx.request.post(tokenReq.url(), {
    headers: replayHeaders(tokenReq, baseURL!),
    data: tokenReq.postDataBuffer()!,
  });
  expect(ok.status()).toBe(200);
  expect(await tokens()).toBe(t0 + 1);

  // From another origin the same request is refused before the action runs (CSRF).
  const evil = await adminCtx.request.post(tokenReq.url(), {
    headers: replayHeaders(tokenReq, "http://evil.example"),
    data: tokenReq.postDataBuffer()!,
    failOnStatusCode: false,
  });
  expect(evil.ok()).toBe(false);
  expect(await tokens()).toBe(t0 + 1);

  // A realm operator replaying administrator actions is refused: 403 where the command says a
  // refusal reveals nothing (operator.create, deniedStatus), 404 otherwise.
  const opCtx = await browser.newContext();
  await signIn(await opCtx.newPage(), OPERATOR_A);
  for (const [req, status] of [
    [tokenReq, 404],
    [opReq, 403],
  ] as const) {
    const res = await opCtx.request.post(req.url(), {
      headers: replayHeaders(req, baseURL!),
      data: req.postDataBuffer()!,
    });
    expect(await res.text()).toContain(`"status":${status}`);
  }
  // Without a session: 401.
  const anon = await browser.newContext();
  const res = await anon.request.post(opReq.url(), {
    headers: replayHeaders(opReq, baseURL!),
    data: opReq.postDataBuffer()!,
  });
  expect(await res.text()).toContain('"status":401');
  expect([await tokens(), await operators()]).toEqual([t0 + 1, o0]);

  // State-changing route handlers check Origin too.
  const cross = await anon.request.post(`${baseURL}/api/auth/signout`, {
    headers: { origin: "http://evil.example" },
    failOnStatusCode: false,
  });
  expect(cross.status()).toBe(403);
  await Promise.all([adminCtx.close(), opCtx.close(), anon.close()]);
});
