// hCaptcha verification against the local siteverify double: success, failures, reuse,
// unreachable and hanging service. The check is never skipped.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startHcaptchaVerifier, type HcaptchaVerifier } from "../helpers/hcaptcha-verifier.ts";
import { verifyHcaptcha, hcaptchaVerifyUrl, DEFAULT_HCAPTCHA_VERIFY_URL } from "../../lib/captcha/hcaptcha.ts";

const SITE = { siteKey: "10000000-aaaa-bbbb-cccc-000000000001", secret: "0xTESTSECRET000000000000000000000000000001" };
const OTHER = { siteKey: "20000000-aaaa-bbbb-cccc-000000000002", secret: "0xTESTSECRET000000000000000000000000000002" };

describe("hCaptcha siteverify", () => {
  let v: HcaptchaVerifier;
  before(async () => {
    v = await startHcaptchaVerifier({ sites: [SITE, OTHER] });
  });
  after(async () => {
    await v.close();
  });

  const opts = () => ({ secret: SITE.secret, siteKey: SITE.siteKey, verifyUrl: v.verifyUrl, remoteIp: "203.0.113.7" });

  test("a fresh token passes, sent form-encoded with secret, response, remoteip and sitekey", async () => {
    const token = v.issueToken(SITE.siteKey);
    const r = await verifyHcaptcha(token, opts());
    assert.deepEqual(r, { ok: true, provider: "HCAPTCHA" });
    const call = v.calls.at(-1)!;
    assert.equal(call.contentType, "application/x-www-form-urlencoded");
    assert.equal(call.response, token);
    assert.equal(call.secret, SITE.secret);
    assert.equal(call.remoteip, "203.0.113.7");
    assert.equal(call.sitekey, SITE.siteKey);
  });

  test("a reused token is refused with a clear message", async () => {
    const token = v.issueToken(SITE.siteKey);
    assert.equal((await verifyHcaptcha(token, opts())).ok, true);
    const r = await verifyHcaptcha(token, opts());
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.kind, "rejected");
    assert.deepEqual(r.codes, ["invalid-or-already-seen-response"]);
    assert.match(r.message, /already used.*Solve the captcha again/);
  });

  test("an unknown token fails", async () => {
    const r = await verifyHcaptcha("P1_made-up", opts());
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.codes, ["invalid-input-response"]);
  });

  test("an empty token fails without a pass", async () => {
    const r = await verifyHcaptcha("  ", opts());
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /not completed/);
  });

  test("a wrong secret is reported as the operator's problem", async () => {
    const r = await verifyHcaptcha(v.issueToken(SITE.siteKey), { ...opts(), secret: "0xWRONG" });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.kind, "misconfigured");
      assert.deepEqual(r.codes, ["invalid-input-secret"]);
      assert.doesNotMatch(r.message, /0xWRONG/);
    }
  });

  test("a token for another site key is a site key mismatch", async () => {
    const r = await verifyHcaptcha(v.issueToken(OTHER.siteKey), opts());
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.codes, ["sitekey-secret-mismatch"]);
    const r2 = await verifyHcaptcha(v.issueToken(SITE.siteKey), { ...opts(), siteKey: OTHER.siteKey });
    assert.equal(r2.ok, false);
    if (!r2.ok) assert.equal(r2.kind, "misconfigured");
  });

  test("an expired token fails", async () => {
    const token = v.issueToken(SITE.siteKey);
    v.tokenTtlMs = -1;
    try {
      const r = await verifyHcaptcha(token, opts());
      assert.equal(r.ok, false);
      if (!r.ok) assert.deepEqual(r.codes, ["expired-input-response"]);
    } finally {
      v.tokenTtlMs = 120_000;
    }
  });

  test("an unreachable verifier is 'unavailable', never a pass", async () => {
    const dead = await startHcaptchaVerifier({ sites: [SITE] });
    const deadUrl = dead.verifyUrl;
    await dead.close();
    const r = await verifyHcaptcha("P1_anything", { ...opts(), verifyUrl: deadUrl });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.kind, "unavailable");
      assert.match(r.message, /could not be reached.*no account was created.*submit the form again/);
    }
  });

  test("a verifier that never answers times out as 'unavailable'", async () => {
    v.hang = true;
    try {
      const t0 = Date.now();
      const r = await verifyHcaptcha(v.issueToken(SITE.siteKey), { ...opts(), timeoutMs: 300 });
      assert.ok(Date.now() - t0 < 5_000);
      assert.equal(r.ok, false);
      if (!r.ok) assert.deepEqual([r.kind, r.codes], ["unavailable", ["timeout"]]);
    } finally {
      v.hang = false;
    }
  });

  test("the verify URL comes from OPENGROOVE_HCAPTCHA_VERIFY_URL, defaulting to hCaptcha's", () => {
    assert.equal(hcaptchaVerifyUrl({}), DEFAULT_HCAPTCHA_VERIFY_URL);
    assert.equal(hcaptchaVerifyUrl({ OPENGROOVE_HCAPTCHA_VERIFY_URL: v.verifyUrl }), v.verifyUrl);
    assert.throws(() => hcaptchaVerifyUrl({ OPENGROOVE_HCAPTCHA_VERIFY_URL: "ftp://x/y" }));
  });

  test("the verifier double itself follows the contract for missing fields", async () => {
    const post = async (body: string, type = "application/x-www-form-urlencoded") =>
      (await (await fetch(v.verifyUrl, { method: "POST", headers: { "content-type": type }, body })).json()) as Record<
        string,
        unknown
      >;
    assert.deepEqual(await post(""), { success: false, "error-codes": ["missing-input-secret"] });
    assert.deepEqual(await post(`secret=${SITE.secret}`), {
      success: false,
      "error-codes": ["missing-input-response"],
    });
    assert.deepEqual(await post(`{"secret":"x"}`, "application/json"), {
      success: false,
      "error-codes": ["bad-request"],
    });
  });
});
