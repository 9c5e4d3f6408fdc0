"use client";
// Create an enrollment token for the management server; the token is shown once.
import { useActionState } from "react";
import { createEnrollmentTokenAction } from "../_actions/admin.ts";
import { CopyValue } from "./copy-button.tsx";
import { TextField } from "./fields.tsx";
import { FormResult } from "./form-result.tsx";
import { SubmitButton } from "./submit-button.tsx";

export function EnrollmentTokenForm() {
  const [state, action] = useActionState(createEnrollmentTokenAction, null);
  const token = state?.ok ? (state.data as { token?: string } | undefined)?.token : undefined;
  return (
    <form action={action} className="space-y-4" noValidate>
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          name="realmId"
          label="Realm id (optional)"
          placeholder="host:port"
          defaultValue=""
          state={state}
          hint="Limit the token to one realm id; blank allows any."
          idPrefix="tok"
        />
        <TextField
          name="expiresInHours"
          label="Valid for (hours)"
          type="number"
          min={1}
          max={720}
          required
          defaultValue={24}
          state={state}
          idPrefix="tok"
        />
      </div>
      <SubmitButton pendingText="Creating…">Create enrollment token</SubmitButton>
      <FormResult state={state}>{token ? <CopyValue value={token} label="Enrollment token" /> : null}</FormResult>
    </form>
  );
}
