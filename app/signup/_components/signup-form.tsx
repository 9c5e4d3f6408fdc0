"use client";
// The signup form: username, password (twice), invite code on invite-only realms, the realm's
// captcha on open realms, a honeypot and the signed form-time stamp. Field errors come from
// the server (zod and DomainError.field); the inputs keep their values after a failure.
import { startTransition, useActionState, useEffect, useRef, useState, type FormEvent } from "react";
import type { SignupResult } from "../signup-flow.ts";
import { CaptchaField, type CaptchaHandle } from "./captcha-field.tsx";
import { Honeypot } from "./honeypot.tsx";
import { SignupSuccess } from "./signup-success.tsx";
import { Notice } from "./ui.tsx";
import { Field, describedBy } from "../../_components/field.tsx";
import type { CaptchaProvider, RegistrationMode } from "../../../lib/generated/prisma/enums.ts";
import type { CaptchaWidget } from "../../../lib/captcha/types.ts";

export interface SignupFormRealm {
  id: string;
  name: string;
  registrationMode: Exclude<RegistrationMode, "CLOSED">;
  captchaProvider: CaptchaProvider;
  hcaptchaSiteKey: string | null;
}

interface Props {
  realm: SignupFormRealm;
  formStamp: string;
  invite: string;
  usernameRule: string;
  passwordRule: string;
  action: (prev: SignupResult | null, form: FormData) => Promise<SignupResult>;
}

export function SignupForm({ realm, formStamp, invite, usernameRule, passwordRule, action }: Props) {
  const [state, formAction, pending] = useActionState(action, null);
  const [values, setValues] = useState({ username: "", password: "", confirm: "", invite });
  const captcha = useRef<CaptchaHandle>(null);
  const showCaptcha = realm.registrationMode === "OPEN" && realm.captchaProvider !== "NONE";

  useEffect(() => {
    if (state && !state.ok && state.captchaSpent) captcha.current?.reset();
  }, [state]);

  if (state?.ok) return <SignupSuccess userId={state.userId} realmName={state.realmName} realmSlug={state.realmSlug} />;

  const errors = state && !state.ok ? state.fieldErrors : {};
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    // Submit through the action without React's automatic form reset, so nothing typed is lost.
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    startTransition(() => formAction(form));
  };
  const input = (name: keyof typeof values) => ({
    id: name,
    name,
    value: values[name],
    onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [name]: e.target.value })),
    "aria-invalid": errors[name] ? true : undefined,
    className: "input",
  });

  return (
    <form onSubmit={onSubmit} className="space-y-5" noValidate data-testid="signup-form">
      {state && !state.ok ? (
        <Notice tone="error" title="No account was created" testId="signup-error">
          <p>{state.message}</p>
        </Notice>
      ) : null}
      <input type="hidden" name="formStamp" value={formStamp} />
      <Honeypot />
      <Field id="username" label="Username" hint={usernameRule} errors={errors.username} announce>
        <input
          {...input("username")}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          aria-describedby={describedBy("username", true, errors.username)}
        />
      </Field>
      <Field id="password" label="Password" hint={passwordRule} errors={errors.password} announce>
        <input
          {...input("password")}
          type="password"
          autoComplete="new-password"
          required
          aria-describedby={describedBy("password", true, errors.password)}
        />
      </Field>
      <Field id="confirm" label="Password again" errors={errors.confirm} announce>
        <input
          {...input("confirm")}
          type="password"
          autoComplete="new-password"
          required
          aria-describedby={describedBy("confirm", false, errors.confirm)}
        />
      </Field>
      {realm.registrationMode === "INVITE" ? (
        <Field
          id="invite"
          label="Invite code"
          hint="The code from your invitation. Opening the invite link fills it in."
          errors={errors.invite}
          announce
        >
          <input
            {...input("invite")}
            autoComplete="off"
            spellCheck={false}
            required
            aria-describedby={describedBy("invite", true, errors.invite)}
            className="input font-mono"
          />
        </Field>
      ) : null}
      {showCaptcha ? (
        <CaptchaField
          ref={captcha}
          provider={realm.captchaProvider as CaptchaWidget}
          hcaptchaSiteKey={realm.hcaptchaSiteKey}
          error={errors.captcha}
        />
      ) : null}
      <button type="submit" className="btn-primary w-full" disabled={pending} aria-disabled={pending}>
        {pending ? "Creating your account…" : `Create my account on ${realm.name}`}
      </button>
    </form>
  );
}
