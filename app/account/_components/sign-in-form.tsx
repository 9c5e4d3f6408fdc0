"use client";
import { useActionState } from "react";
import { accountSignInAction } from "../_actions.ts";
import { errorsFor, TextField, valueFor } from "../../console/_components/fields.tsx";
import { FormResult } from "../../console/_components/form-result.tsx";
import { SubmitButton } from "../../console/_components/submit-button.tsx";

export function AccountSignInForm({ next, realm }: { next: string; realm: string }) {
  const [state, action] = useActionState(accountSignInAction, null);
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="next" value={next} />
      <FormResult state={state} />
      <TextField
        name="realm"
        label="Realm"
        autoComplete="off"
        placeholder="e.g. trivergia"
        defaultValue={valueFor(state, "realm", realm)}
        hint="The realm’s short name. Not needed when you type your full user id below."
        errors={errorsFor(state, "realm")}
      />
      <TextField
        name="username"
        label="Username or user id"
        autoComplete="username"
        required
        placeholder="alice, or example.com:63745::alice"
        defaultValue={valueFor(state, "username", "")}
        errors={errorsFor(state, "username")}
      />
      <TextField
        name="password"
        label="Password"
        type="password"
        autoComplete="current-password"
        required
        errors={errorsFor(state, "password")}
      />
      <SubmitButton pendingText="Signing in…">Sign in</SubmitButton>
    </form>
  );
}
