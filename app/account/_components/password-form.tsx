"use client";
import { useActionState } from "react";
import { changePasswordAction } from "../_actions.ts";
import { PasswordField } from "../../console/_components/fields.tsx";
import { NewPasswordFields } from "./new-password-fields.tsx";
import { FormResult } from "../../console/_components/form-result.tsx";
import { SubmitButton } from "../../console/_components/submit-button.tsx";

export function PasswordForm() {
  const [state, action] = useActionState(changePasswordAction, null);
  return (
    <form action={action} className="max-w-md space-y-4" noValidate>
      <FormResult state={state} />
      <PasswordField idPrefix="pw" name="current" label="Current password" state={state} />
      <NewPasswordFields idPrefix="pw" state={state} />
      <SubmitButton pendingText="Changing…">Change password</SubmitButton>
    </form>
  );
}
