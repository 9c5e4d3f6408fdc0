// Settings the signup browser tests share with the Playwright config: the local hCaptcha
// siteverify double (a webServer entry; its port is chosen by the config and inherited by the
// workers through OG_E2E_HCAPTCHA_PORT) and the env the web server needs for signup.
export const HCAPTCHA_E2E = {
  siteKey: "e2e00000-aaaa-bbbb-cccc-000000000001",
  secret: "0xE2E0000000000000000000000000000000000001",
};

const port = () => Number(process.env.OG_E2E_HCAPTCHA_PORT ?? 3941);
export const hcaptchaVerifierUrl = () => `http://127.0.0.1:${port()}`;

/** The webServer entry that runs the verifier double. */
export function hcaptchaVerifierServer() {
  return {
    command: `"${process.execPath}" --import tsx tests/helpers/hcaptcha-verifier.ts --port ${port()}`,
    url: `${hcaptchaVerifierUrl()}/health`,
    env: { OG_HCAPTCHA_SITES: `${HCAPTCHA_E2E.siteKey}=${HCAPTCHA_E2E.secret}` },
    reuseExistingServer: false,
    timeout: 30_000,
  };
}

/** Env the web server needs for the signup tests (merged into its webServer env). */
export function signupWebEnv(): Record<string, string> {
  return {
    OPENGROOVE_HCAPTCHA_VERIFY_URL: `${hcaptchaVerifierUrl()}/siteverify`,
    // Every test signs up from 127.0.0.1: the throttle itself is covered by integration tests.
    OPENGROOVE_SIGNUP_LIMIT: "1000",
    // A lighter proof of work keeps the browser tests quick on two cores.
    OPENGROOVE_ALTCHA_COST: "200",
    OPENGROOVE_ALTCHA_MAX_COUNTER: "2000",
  };
}
