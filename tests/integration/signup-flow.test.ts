// The web signup flow end to end on the server side: honeypot, form time, field errors,
// throttle, hCaptcha (local verifier) and ALTCHA, invites, closed realms, and the ticket mode.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { solveChallenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/pbkdf2";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { startHcaptchaVerifier, type HcaptchaVerifier } from "../helpers/hcaptcha-verifier.ts";
import { createInvite, createRealm } from "../helpers/signup-fixtures.ts";
import {
  findSignupRealm,
  submitSignup,
  submitTicketCaptcha,
  signupPurpose,
  ticketPurpose,
  ticketState,
  type AbuseContext,
  type SignupInput,
} from "../../app/signup/signup-flow.ts";
import { issueFormStamp } from "../../lib/captcha/form-guard.ts";
import { createAltchaChallenge } from "../../lib/captcha/altcha.ts";
import { openTicket, registerWithTicket } from "../../lib/domain/tickets.ts";

const SITE = { siteKey: "30000000-aaaa-bbbb-cccc-000000000003", secret: "0xFLOWSECRET0000000000000000000000000000003" };
const PASSWORD = "Tr0ub4dor&3-long";

describe("web signup flow", () => {
  let t: TestDb;
  let v: HcaptchaVerifier;
  let dir: string;
  let ctx: AbuseContext;
  let ip = 0;
  const nextCtx = (): AbuseContext => ({ ...ctx, ip: `192.0.2.${++ip}` });
  const stamp = (slug: string, agoMs = 5_000, purpose = signupPurpose(slug)) =>
    issueFormStamp(purpose, { now: Date.now() - agoMs, secretSource: ctx.secretSource });
  const form = (slug: string, over: Partial<SignupInput> = {}): SignupInput => ({
    username: "newcomer",
    password: PASSWORD,
    confirm: PASSWORD,
    honeypot: "",
    formStamp: stamp(slug),
    ...over,
  });

  before(async () => {
    t = await createTestDb();
    v = await startHcaptchaVerifier({ sites: [SITE] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "og-flow-"));
    ctx = {
      ip: "192.0.2.0",
      env: { OPENGROOVE_HCAPTCHA_VERIFY_URL: v.verifyUrl },
      throttle: { limit: 3, windowSeconds: 1800 },
      formTime: { minSeconds: 3, maxSeconds: 7200 },
      secretSource: { dataDir: dir },
    };
    await createRealm(t.prisma, {
      slug: "hc",
      port: 41001,
      registrationMode: "OPEN",
      captchaProvider: "HCAPTCHA",
      hcaptchaSiteKey: SITE.siteKey,
      hcaptchaSecret: SITE.secret,
    });
    await createRealm(t.prisma, { slug: "pow", port: 41002, registrationMode: "OPEN", captchaProvider: "ALTCHA" });
    const inv = await createRealm(t.prisma, { slug: "club", port: 41003, registrationMode: "INVITE" });
    await createInvite(t.prisma, inv, "club-invite-1", 1);
    await createRealm(t.prisma, {
      slug: "shut",
      name: "Shut",
      port: 41004,
      registrationMode: "CLOSED",
      contactEmail: "ops@shut.test",
    });
  });
  after(async () => {
    await v.close();
    await t.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the public realm view never carries the captcha secret", async () => {
    const realm = await findSignupRealm(t.pool, "hc");
    assert.equal(realm?.hcaptchaSiteKey, SITE.siteKey);
    assert.ok(!JSON.stringify(realm).includes(SITE.secret));
    assert.equal(await findSignupRealm(t.pool, "nope"), null);
    assert.equal(await findSignupRealm(t.pool, "../etc"), null);
  });

  test("hCaptcha realm: a verified token creates the account and shows the user id", async () => {
    const r = await submitSignup(
      t.pool,
      "hc",
      form("hc", { username: "Alice", hcaptchaToken: v.issueToken(SITE.siteKey) }),
      nextCtx(),
    );
    assert.deepEqual(r, {
      ok: true,
      userId: "realm.test:41001::Alice",
      username: "Alice",
      realmId: "realm.test:41001",
      realmName: "Hc",
      realmSlug: "hc",
    });
    assert.equal(v.calls.at(-1)?.remoteip, `192.0.2.${ip}`);
  });

  test("hCaptcha realm: no token, a reused token, or an unreachable verifier create nothing", async () => {
    const none = await submitSignup(t.pool, "hc", form("hc", { username: "bob1" }), nextCtx());
    assert.equal(none.ok, false);
    if (!none.ok) assert.match(none.fieldErrors.captcha ?? "", /not completed/);

    const token = v.issueToken(SITE.siteKey);
    assert.equal(
      (await submitSignup(t.pool, "hc", form("hc", { username: "bob2", hcaptchaToken: token }), nextCtx())).ok,
      true,
    );
    const reused = await submitSignup(t.pool, "hc", form("hc", { username: "bob3", hcaptchaToken: token }), nextCtx());
    assert.equal(reused.ok, false);
    if (!reused.ok) assert.match(reused.fieldErrors.captcha ?? "", /already used/);

    const down = await submitSignup(
      t.pool,
      "hc",
      form("hc", { username: "bob4", hcaptchaToken: v.issueToken(SITE.siteKey) }),
      {
        ...nextCtx(),
        env: { OPENGROOVE_HCAPTCHA_VERIFY_URL: "http://127.0.0.1:9/siteverify" },
      },
    );
    assert.equal(down.ok, false);
    if (!down.ok) {
      assert.equal(down.code, "BUSY");
      assert.match(down.message, /could not be reached.*try|submit the form again/);
    }
    const users = await t.pool.query(`SELECT username FROM users WHERE username LIKE 'bob%' ORDER BY username`);
    assert.deepEqual(
      users.rows.map((u) => u.username),
      ["bob2"],
    );
  });

  test("ALTCHA realm: a solved challenge signs up once; replaying it is refused", async () => {
    const challenge = await createAltchaChallenge({
      settings: { cost: 10, maxCounter: 100, ttlSeconds: 60 },
      secretSource: ctx.secretSource,
    });
    const solution = await solveChallenge({ challenge, deriveKey });
    const altchaPayload = Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
    const ok = await submitSignup(t.pool, "pow", form("pow", { username: "carol", altchaPayload }), nextCtx());
    assert.equal(ok.ok, true);
    const replay = await submitSignup(t.pool, "pow", form("pow", { username: "carol2", altchaPayload }), nextCtx());
    assert.equal(replay.ok, false);
    if (!replay.ok) assert.match(replay.fieldErrors.captcha ?? "", /already used/);
  });

  test("field errors come back together, per field, before the captcha is spent", async () => {
    const token = v.issueToken(SITE.siteKey);
    const r = await submitSignup(
      t.pool,
      "hc",
      form("hc", { username: "a::b", password: "short", confirm: "other", hcaptchaToken: token }),
      nextCtx(),
    );
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.fieldErrors.username ?? "", /"::"/);
    assert.match(r.fieldErrors.password ?? "", /at least 10/);
    assert.match(r.fieldErrors.confirm ?? "", /do not match/);
    // The token was not sent to the verifier, so it still works.
    assert.equal(
      (await submitSignup(t.pool, "hc", form("hc", { username: "dave", hcaptchaToken: token }), nextCtx())).ok,
      true,
    );
  });

  test("a taken username (any case) is reported on the username field", async () => {
    const r = await submitSignup(
      t.pool,
      "hc",
      form("hc", { username: "ALICE", hcaptchaToken: v.issueToken(SITE.siteKey) }),
      nextCtx(),
    );
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.fieldErrors.username ?? "", /taken/);
  });

  test("invite realm: the code is required, works for its uses, then is refused", async () => {
    const missing = await submitSignup(t.pool, "club", form("club", { username: "erin" }), nextCtx());
    assert.equal(missing.ok, false);
    if (!missing.ok) assert.match(missing.fieldErrors.invite ?? "", /invite-only/);
    assert.equal(
      (await submitSignup(t.pool, "club", form("club", { username: "erin", invite: " club-invite-1 " }), nextCtx())).ok,
      true,
    );
    const used = await submitSignup(
      t.pool,
      "club",
      form("club", { username: "frank", invite: "club-invite-1" }),
      nextCtx(),
    );
    assert.equal(used.ok, false);
    if (!used.ok) assert.match(used.fieldErrors.invite ?? "", /not valid/);
  });

  test("closed and unknown realms say so and what to do", async () => {
    const closed = await submitSignup(t.pool, "shut", form("shut"), nextCtx());
    assert.equal(closed.ok, false);
    if (!closed.ok)
      assert.deepEqual(
        [closed.code, closed.message],
        ["REGISTRATIONCLOSED", "Shut is not accepting new accounts. Ask its operator (ops@shut.test) for an account."],
      );
    const unknown = await submitSignup(t.pool, "ghost", form("ghost"), nextCtx());
    assert.equal(unknown.ok, false);
    if (!unknown.ok) assert.equal(unknown.code, "NOSUCHREALM");
  });

  test("honeypot, missing, forged, too-fresh, expired and other-form stamps are refused", async () => {
    const cases: [Partial<SignupInput>, RegExp][] = [
      [{ honeypot: "http://spam.example" }, /looked automated/],
      [{ formStamp: undefined }, /incomplete or was altered/],
      [{ formStamp: stamp("pow").replace(/.$/, (c) => (c === "A" ? "B" : "A")) }, /incomplete or was altered/],
      [{ formStamp: stamp("pow", 3 * 3600_000) }, /expired/],
      [{ formStamp: stamp("pow", 5_000, signupPurpose("hc")) }, /incomplete or was altered/],
    ];
    for (const [over, re] of cases) {
      const r = await submitSignup(t.pool, "pow", form("pow", { username: "mallory", ...over }), nextCtx());
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.fieldErrors.form ?? "", re);
    }
  });

  test("the per-IP throttle stops the 4th attempt from one address", async () => {
    const c = { ...ctx, ip: "198.18.0.1" };
    for (let i = 0; i < 3; i++) {
      const r = await submitSignup(
        t.pool,
        "hc",
        form("hc", { username: `thr${i}`, hcaptchaToken: v.issueToken(SITE.siteKey) }),
        c,
      );
      assert.equal(r.ok, true);
    }
    const r = await submitSignup(
      t.pool,
      "hc",
      form("hc", { username: "thr3", hcaptchaToken: v.issueToken(SITE.siteKey) }),
      c,
    );
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.code, "RATELIMITED");
      assert.match(r.message, /Too many signup attempts.*Wait \d+ minutes/);
    }
  });

  test("the minimum form time applies only without a captcha or invite: an instant (password-manager) submit passes elsewhere", async () => {
    await createRealm(t.prisma, { slug: "bare", port: 41005, registrationMode: "OPEN", captchaProvider: "NONE" });
    const quick = await submitSignup(
      t.pool,
      "bare",
      form("bare", { username: "speedy", formStamp: stamp("bare", 0) }),
      nextCtx(),
    );
    assert.equal(quick.ok, false);
    if (!quick.ok) assert.match(quick.fieldErrors.form ?? "", /too quickly/);
    const hc = await submitSignup(
      t.pool,
      "hc",
      form("hc", { username: "keeper", formStamp: stamp("hc", 0), hcaptchaToken: v.issueToken(SITE.siteKey) }),
      nextCtx(),
    );
    assert.equal(hc.ok, true, JSON.stringify(hc));
    const realm = await t.prisma.realm.findUniqueOrThrow({ where: { slug: "club" } });
    await createInvite(t.prisma, realm.id, "instant-invite", 1);
    const inv = await submitSignup(
      t.pool,
      "club",
      form("club", { username: "filler", invite: "instant-invite", formStamp: stamp("club", 0) }),
      nextCtx(),
    );
    assert.equal(inv.ok, true, JSON.stringify(inv));
  });

  test("invite signups are limited by the invite, not the address: 10 colleagues behind one NAT, at once", async () => {
    const realm = await t.prisma.realm.findUniqueOrThrow({ where: { slug: "club" } });
    await createInvite(t.prisma, realm.id, "office-invite-10", 10);
    const office = { ...ctx, ip: "198.18.0.77", throttle: { limit: 3, windowSeconds: 1800 } };
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        submitSignup(t.pool, "club", form("club", { username: `colleague${i}`, invite: "office-invite-10" }), office),
      ),
    );
    assert.equal(results.filter((r) => r.ok).length, 10, JSON.stringify(results.filter((r) => !r.ok)));
    for (const r of results.filter((x) => !x.ok)) if (!r.ok) assert.notEqual(r.code, "RATELIMITED");
    // Open signups from the same address still count against its throttle.
    for (let i = 0; i < 3; i++)
      assert.equal(
        (
          await submitSignup(
            t.pool,
            "hc",
            form("hc", { username: `opener${i}`, hcaptchaToken: v.issueToken(SITE.siteKey) }),
            office,
          )
        ).ok,
        true,
      );
    const fourth = await submitSignup(
      t.pool,
      "hc",
      form("hc", { username: "opener3", hcaptchaToken: v.issueToken(SITE.siteKey) }),
      office,
    );
    assert.equal(fourth.ok ? "ok" : fourth.code, "RATELIMITED");
  });

  test("ticket mode: captcha only, then the client registers with the token", async () => {
    const realm = await findSignupRealm(t.pool, "hc");
    const ticket = await openTicket(t.pool, realm!.id);
    assert.equal(await ticketState(t.pool, ticket, realm!.id), "usable");
    const formStamp = stamp("hc", 5_000, ticketPurpose("hc"));
    const bad = await submitTicketCaptcha(t.pool, "hc", ticket, { formStamp, hcaptchaToken: "P1_bogus" }, nextCtx());
    assert.equal(bad.ok, false);
    const r = await submitTicketCaptcha(
      t.pool,
      "hc",
      ticket,
      { formStamp, hcaptchaToken: v.issueToken(SITE.siteKey) },
      nextCtx(),
    );
    assert.equal(r.ok, true);
    if (!r.ok) return;
    const user = await registerWithTicket(t.pool, ticket, r.token, {
      realmId: realm!.id,
      username: "ticketholder",
      password: PASSWORD,
    });
    assert.equal(user.username, "ticketholder");
    assert.equal(await ticketState(t.pool, ticket, realm!.id), "expired");
    const again = await submitTicketCaptcha(
      t.pool,
      "hc",
      ticket,
      { formStamp, hcaptchaToken: v.issueToken(SITE.siteKey) },
      nextCtx(),
    );
    assert.equal(again.ok, false);
    if (!again.ok) assert.match(again.message, /expired or was already used.*Start the signup again/);
  });
});
