"use client";
// Ticket mode (the protocol's registeraccount CONTINUE flow): the person only solves the
// captcha here; the page then shows the completion code to paste into their OpenGroove client,
// which finishes the registration with the username and password typed there.
import { startTransition, useActionState, useEffect, useRef, type FormEvent } from "react";
import type { TicketResult } from "../signup-flow.ts";
import { CaptchaField, type CaptchaHandle } from "./captcha-field.tsx";
import { Honeypot } from "./honeypot.tsx";
import { Code, Notice } from "./ui.tsx";
import type { CaptchaWidget } from "../../../lib/captcha/types.ts";

interface Props {
  provider: CaptchaWidget;
  hcaptchaSiteKey: string | null;
  realmName: string;
  formStamp: string;
  action: (prev: TicketResult | null, form: FormData) => Promise<TicketResult>;
}

export function TicketForm({ provider, hcaptchaSiteKey, realmName, formStamp, action }: Props) {
  const [state, formAction, pending] = useActionState(action, null);
  const captcha = useRef<CaptchaHandle>(null);
  useEffect(() => {
    if (state && !state.ok && state.captchaSpent) captcha.current?.reset();
  }, [state]);

  if (state?.ok)
    return (
      <div className="space-y-4" data-testid="ticket-success">
        <Notice tone="success" title="Check passed">
          <p>
            Copy this code into your OpenGroove client, where you started signing up, to finish creating your account on{" "}
            {realmName}:
          </p>
          <Code testId="completion-token">{state.token}</Code>
          <p>
            The code works once, within 30 minutes of when your client started the signup. You can close this page
            afterwards.
          </p>
        </Notice>
      </div>
    );

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    startTransition(() => formAction(form));
  };
  const errors = state && !state.ok ? state.fieldErrors : {};
  return (
    <form onSubmit={onSubmit} className="space-y-5" noValidate data-testid="ticket-form">
      {state && !state.ok ? (
        <Notice tone="error" title="Not done yet" testId="signup-error">
          <p>{state.message}</p>
        </Notice>
      ) : null}
      <input type="hidden" name="formStamp" value={formStamp} />
      <Honeypot />
      <CaptchaField ref={captcha} provider={provider} hcaptchaSiteKey={hcaptchaSiteKey} error={errors.captcha} />
      <button type="submit" className="btn-primary w-full" disabled={pending} aria-disabled={pending}>
        {pending ? "Checking…" : "Continue"}
      </button>
    </form>
  );
}
