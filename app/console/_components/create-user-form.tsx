"use client";
// Create a user on a realm; on success the one-time set-password link is shown once.
import { useActionState } from "react";
import { createUserAction } from "../_actions/onboarding.ts";
import { CopyValue } from "./copy-button.tsx";
import { SelectField, TextField } from "./fields.tsx";
import { FormResult } from "./form-result.tsx";
import { SubmitButton } from "./submit-button.tsx";

export const LINK_EXPIRY = [
  ["7", "In 7 days"],
  ["3", "In 3 days"],
  ["1", "In 1 day"],
] as const;

export function CreateUserForm({ realmId }: { realmId: string }) {
  const [state, action] = useActionState(createUserAction, null);
  const link = state?.ok ? (state.data as { link?: string } | undefined)?.link : undefined;
  const origin = typeof window === "undefined" ? "" : window.location.origin;
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="realmId" value={realmId} />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          name="username"
          label="Username"
          required
          autoComplete="off"
          defaultValue=""
          state={state}
          hint="The person chooses their password with the link you send them."
          idPrefix="newuser"
        />
        <SelectField
          name="expiresIn"
          label="Link expires"
          options={LINK_EXPIRY}
          defaultValue="7"
          state={state}
          idPrefix="newuser"
        />
      </div>
      <SubmitButton pendingText="Creating…">Create user</SubmitButton>
      <FormResult state={state}>
        {link ? <CopyValue value={`${origin}${link}`} label="Set-password link" /> : null}
      </FormResult>
    </form>
  );
}
