"use client";
// Delete the account: the password again and the username typed as confirmation.
import { useActionState } from "react";
import { deleteAccountAction } from "../_actions.ts";
import { errorsFor, TextField } from "../../console/_components/fields.tsx";
import { FormResult } from "../../console/_components/form-result.tsx";
import { SubmitButton } from "../../console/_components/submit-button.tsx";

export function DeleteAccountForm({ username }: { username: string }) {
  const [state, action] = useActionState(deleteAccountAction, null);
  return (
    <form action={action} className="max-w-md space-y-4" noValidate>
      <FormResult state={state} />
      <TextField
        idPrefix="del"
        name="password"
        label="Your password"
        type="password"
        autoComplete="current-password"
        required
        errors={errorsFor(state, "password")}
      />
      <TextField
        idPrefix="del"
        name="confirm"
        label={`Type your username (${username}) to confirm`}
        required
        errors={errorsFor(state, "confirm")}
      />
      <SubmitButton variant="danger" pendingText="Deleting…">
        Delete my account
      </SubmitButton>
    </form>
  );
}
