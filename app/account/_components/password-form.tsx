"use client";
import { useActionState } from "react";
import { changePasswordAction } from "../_actions.ts";
import { errorsFor, TextField } from "../../console/_components/fields.tsx";
import { FormResult } from "../../console/_components/form-result.tsx";
import { SubmitButton } from "../../console/_components/submit-button.tsx";

export function PasswordForm() {
  const [state, action] = useActionState(changePasswordAction, null);
  return (
    <form action={action} className="max-w-md space-y-4" noValidate>
      <FormResult state={state} />
      <TextField
        idPrefix="pw"
        name="current"
        label="Current password"
        type="password"
        autoComplete="current-password"
        required
        errors={errorsFor(state, "current")}
      />
      <TextField
        idPrefix="pw"
        name="password"
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        hint="At least 10 characters, not a common password, not containing your username."
        errors={errorsFor(state, "password")}
      />
      <TextField
        idPrefix="pw"
        name="confirm"
        label="New password again"
        type="password"
        autoComplete="new-password"
        required
        errors={errorsFor(state, "confirm")}
      />
      <SubmitButton pendingText="Changing…">Change password</SubmitButton>
    </form>
  );
}
