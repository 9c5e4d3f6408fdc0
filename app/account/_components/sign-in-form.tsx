"use client";
import { useActionState } from "react";
import { accountSignInAction } from "../_actions.ts";
import { PasswordField, TextField } from "../../console/_components/fields.tsx";
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
        defaultValue={realm}
        hint="The realm’s short name. Not needed when you type your full user id below."
        state={state}
      />
      <TextField
        name="username"
        label="Username or user id"
        autoComplete="username"
        required
        placeholder="alice, or example.com:63745::alice"
        defaultValue=""
        state={state}
      />
      <PasswordField state={state} />
      <SubmitButton pendingText="Signing in…">Sign in</SubmitButton>
    </form>
  );
}
