"use client";
import { useActionState } from "react";
import { signInAction } from "../_actions/session.ts";
import { PasswordField, TextField } from "../_components/fields.tsx";
import { FormResult } from "../_components/form-result.tsx";
import { SubmitButton } from "../_components/submit-button.tsx";

export function SignInForm({ next }: { next: string }) {
  const [state, action] = useActionState(signInAction, null);
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="next" value={next} />
      <FormResult state={state} />
      <TextField name="username" label="Username" autoComplete="username" required defaultValue="" state={state} />
      <PasswordField state={state} />
      <SubmitButton pendingText="Signing in…">Sign in</SubmitButton>
    </form>
  );
}
