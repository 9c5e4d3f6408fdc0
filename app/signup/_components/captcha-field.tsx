"use client";
// The realm's captcha: hCaptcha's widget (token in a hidden "hcaptchaToken" field) or the
// self-hosted ALTCHA proof of work (payload in "altchaPayload"). The parent resets it after a
// submission that used the answer up (answers are good once).
import HCaptcha from "@hcaptcha/react-hcaptcha";
import type {} from "altcha/types/react";
import type { WidgetMethods } from "altcha/types";
import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from "react";
import type { CaptchaWidget } from "../../../lib/captcha/types.ts";

export interface CaptchaHandle {
  reset(): void;
}

export interface CaptchaFieldProps {
  provider: CaptchaWidget;
  hcaptchaSiteKey: string | null;
  error?: string;
}

type AltchaElement = HTMLElement & WidgetMethods;

export const CaptchaField = forwardRef<CaptchaHandle, CaptchaFieldProps>(function CaptchaField(
  { provider, hcaptchaSiteKey, error },
  ref,
) {
  const hcaptcha = useRef<HCaptcha>(null);
  const altcha = useRef<AltchaElement>(null);
  const [token, setToken] = useState("");
  const [status, setStatus] = useState<string>("");

  useImperativeHandle(ref, () => ({
    reset() {
      if (provider === "HCAPTCHA") {
        setToken("");
        hcaptcha.current?.resetCaptcha();
      } else {
        altcha.current?.reset();
        void altcha.current?.verify();
      }
    },
  }));

  useEffect(() => {
    if (provider !== "ALTCHA") return;
    let el: AltchaElement | null = null;
    const onState = (e: Event) => setStatus(String((e as CustomEvent<{ state?: string }>).detail?.state ?? ""));
    // The widget is a custom element that only runs in the browser.
    void import("altcha").then(() => {
      el = altcha.current;
      el?.addEventListener("statechange", onState);
    });
    return () => el?.removeEventListener("statechange", onState);
  }, [provider]);

  const describedBy = error ? "captcha-error" : "captcha-hint";
  return (
    <fieldset aria-describedby={describedBy}>
      <legend className="label">Anti-robot check</legend>
      {provider === "HCAPTCHA" ? (
        hcaptchaSiteKey ? (
          <>
            <HCaptcha
              ref={hcaptcha}
              sitekey={hcaptchaSiteKey}
              sentry={false}
              onVerify={(t) => setToken(t)}
              onExpire={() => setToken("")}
              onError={() => {
                setToken("");
                setStatus("error");
              }}
            />
            <input type="hidden" name="hcaptchaToken" value={token} />
            <p id="captcha-hint" className="hint">
              {status === "error"
                ? "The hCaptcha widget could not load or failed. Check that your browser can reach hcaptcha.com, then reload the page."
                : "Tick the box (hCaptcha may ask you to solve a puzzle)."}
            </p>
          </>
        ) : (
          <p id="captcha-hint" className="field-error">
            This realm&apos;s captcha has no site key configured, so signup cannot work. Tell the realm&apos;s operator.
          </p>
        )
      ) : (
        <>
          <altcha-widget
            ref={altcha}
            challenge="/api/altcha/challenge"
            name="altchaPayload"
            auto="onload"
            data-testid="altcha-widget"
          />
          <p id="captcha-hint" className="hint" aria-live="polite">
            {status === "verified"
              ? "Done: your browser has finished the check."
              : status === "error"
                ? "The check failed to run. Reload the page; if it keeps failing, try another browser."
                : "Your browser solves a small puzzle by itself; this takes a few seconds. Nothing is sent to other sites."}
          </p>
        </>
      )}
      {error ? (
        <p id="captcha-error" className="field-error" role="alert" data-testid="error-captcha">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
});
