// hCaptcha server-side verification: POST the widget's token to the siteverify endpoint
// (configurable, so tests and air-gapped installs can point it elsewhere) and map the answer.
// A network failure or an unexpected answer is "unavailable" — never a pass.
import { captchaFailure, type CaptchaOutcome } from "./types.ts";

export const DEFAULT_HCAPTCHA_VERIFY_URL = "https://api.hcaptcha.com/siteverify";
export const DEFAULT_HCAPTCHA_TIMEOUT_MS = 8_000;
/** hCaptcha tokens are a few kilobytes at most; anything longer is not a token. */
export const MAX_HCAPTCHA_TOKEN_LENGTH = 16_384;

export interface HcaptchaVerifyOptions {
  secret: string;
  /** Sent so hCaptcha can check that the token was issued for this site key. */
  siteKey?: string;
  remoteIp?: string;
  /** Defaults to OPENGROOVE_HCAPTCHA_VERIFY_URL, then hCaptcha's public endpoint. */
  verifyUrl?: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** The JSON body siteverify answers with (fields we use). */
export interface SiteverifyResponse {
  success: boolean;
  challenge_ts?: string;
  hostname?: string;
  credit?: boolean;
  "error-codes"?: string[];
}

const AGAIN = "Solve the captcha again and resubmit the form.";

/** Error code → [kind, message for the person]. */
const ERROR_MESSAGES: Record<string, ["rejected" | "misconfigured", string]> = {
  "missing-input-response": ["rejected", "The captcha was not completed. Tick the captcha box, then submit the form."],
  "invalid-input-response": ["rejected", `The captcha answer was not accepted. ${AGAIN}`],
  "expired-input-response": ["rejected", `The captcha answer expired before the form was sent. ${AGAIN}`],
  "already-seen-response": ["rejected", `This captcha answer was already used. ${AGAIN}`],
  "invalid-or-already-seen-response": ["rejected", `The captcha answer is invalid or was already used. ${AGAIN}`],
  "missing-input-secret": [
    "misconfigured",
    "This realm's captcha is not set up correctly (no secret). Tell the realm's operator; you cannot sign up until it is fixed.",
  ],
  "invalid-input-secret": [
    "misconfigured",
    "This realm's captcha is not set up correctly (secret rejected). Tell the realm's operator; you cannot sign up until it is fixed.",
  ],
  "sitekey-secret-mismatch": [
    "misconfigured",
    "This realm's captcha is not set up correctly (site key and secret do not match). Tell the realm's operator.",
  ],
  "not-using-dummy-passcode": [
    "misconfigured",
    "This realm uses hCaptcha's test keys with a real answer. Tell the realm's operator.",
  ],
  "bad-request": ["rejected", "The captcha check was malformed. Reload the page, solve the captcha and try again."],
};

export function describeHcaptchaErrors(codes: string[]): CaptchaOutcome {
  for (const code of codes) {
    const known = ERROR_MESSAGES[code];
    if (known && known[0] === "misconfigured") return captchaFailure("misconfigured", known[1], codes);
  }
  for (const code of codes) {
    const known = ERROR_MESSAGES[code];
    if (known) return captchaFailure(known[0], known[1], codes);
  }
  return captchaFailure(
    "rejected",
    `The captcha was not accepted${codes.length ? ` (${codes.join(", ")})` : ""}. ${AGAIN}`,
    codes,
  );
}

export function hcaptchaVerifyUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const raw = env.OPENGROOVE_HCAPTCHA_VERIFY_URL?.trim() || DEFAULT_HCAPTCHA_VERIFY_URL;
  const u = new URL(raw);
  if (u.protocol !== "https:" && u.protocol !== "http:")
    throw new Error("OPENGROOVE_HCAPTCHA_VERIFY_URL must be an http(s) URL");
  return u.toString();
}

function isSiteverifyResponse(v: unknown): v is SiteverifyResponse {
  if (!v || typeof v !== "object") return false;
  const o = v as Record<string, unknown>;
  if (typeof o.success !== "boolean") return false;
  const codes = o["error-codes"];
  return codes === undefined || (Array.isArray(codes) && codes.every((c) => typeof c === "string"));
}

const UNREACHABLE =
  "The captcha service could not be reached, so no account was created. Wait a moment and submit the form again.";

/** Verifies one hCaptcha token. Never throws for network or service errors: they are "unavailable". */
export async function verifyHcaptcha(token: string, opts: HcaptchaVerifyOptions): Promise<CaptchaOutcome> {
  if (!opts.secret) return describeHcaptchaErrors(["missing-input-secret"]);
  const response = token.trim();
  if (!response) return describeHcaptchaErrors(["missing-input-response"]);
  if (response.length > MAX_HCAPTCHA_TOKEN_LENGTH) return describeHcaptchaErrors(["invalid-input-response"]);

  let url: string;
  try {
    url = opts.verifyUrl ?? hcaptchaVerifyUrl();
  } catch (e) {
    return captchaFailure(
      "misconfigured",
      `The captcha verification address is not valid: ${(e as Error).message}. Tell the site's operator.`,
      ["bad-verify-url"],
    );
  }
  const body = new URLSearchParams({ secret: opts.secret, response });
  if (opts.remoteIp) body.set("remoteip", opts.remoteIp);
  if (opts.siteKey) body.set("sitekey", opts.siteKey);

  const doFetch = opts.fetchImpl ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: body.toString(),
      signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_HCAPTCHA_TIMEOUT_MS),
      redirect: "error",
    });
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    return captchaFailure("unavailable", UNREACHABLE, [timedOut ? "timeout" : "network-error"]);
  }
  if (res.status >= 500 || res.status === 429) {
    await res.body?.cancel().catch(() => undefined);
    return captchaFailure("unavailable", UNREACHABLE, [`http-${res.status}`]);
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    return captchaFailure("unavailable", UNREACHABLE, [`http-${res.status}-not-json`]);
  }
  if (!isSiteverifyResponse(json))
    return captchaFailure("unavailable", UNREACHABLE, [`http-${res.status}-unexpected-body`]);
  if (json.success) return { ok: true, provider: "HCAPTCHA" };
  return describeHcaptchaErrors(json["error-codes"] ?? []);
}
