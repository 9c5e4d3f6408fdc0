"use client";
// Delete the account: the password again and the username typed as confirmation.
import { useActionState } from "react";
import { deleteAccountAction } from "../_actions.ts";
import { PasswordField, TextField } from "../../console/_components/fields.tsx";
import { FormResult } from "../../console/_components/form-result.tsx";
import { SubmitButton } from "../../console/_components/submit-button.tsx";

export function DeleteAccountForm({ username }: { username: string }) {
  const [state, action] = useActionState(deleteAccountAction, null);
  return (
    <form action={action} className="max-w-md space-y-4" noValidate>
      <FormResult state={state} />
      <PasswordField idPrefix="del" label="Your password" state={state} />
      <TextField
        idPrefix="del"
        name="confirm"
        label={`Type your username (${username}) to confirm`}
        required
        state={state}
      />
      <SubmitButton variant="danger" pendingText="Deleting…">
        Delete my account
      </SubmitButton>
    </form>
  );
}
