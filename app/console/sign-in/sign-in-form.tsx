"use client";
import { useActionState } from "react";
import { signInAction } from "../_actions/session.ts";
import { errorsFor, TextField, valueFor } from "../_components/fields.tsx";
import { FormResult } from "../_components/form-result.tsx";
import { SubmitButton } from "../_components/submit-button.tsx";

export function SignInForm({ next }: { next: string }) {
  const [state, action] = useActionState(signInAction, null);
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="next" value={next} />
      <FormResult state={state} />
      <TextField
        name="username"
        label="Username"
        autoComplete="username"
        required
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
