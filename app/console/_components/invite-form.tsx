"use client";
// Create an invite; on success the signup link is shown once with a copy button.
import { useActionState } from "react";
import { createInviteAction } from "../_actions/invites.ts";
import { CopyValue } from "./copy-button.tsx";
import { SelectField, TextField } from "./fields.tsx";
import { FormResult } from "./form-result.tsx";
import { SubmitButton } from "./submit-button.tsx";

const EXPIRY = [
  ["7", "In 7 days"],
  ["1", "In 1 day"],
  ["30", "In 30 days"],
  ["90", "In 90 days"],
  ["never", "Never"],
] as const;

export function InviteForm({ realmId }: { realmId: string }) {
  const [state, action] = useActionState(createInviteAction, null);
  const link = state?.ok ? (state.data as { link?: string } | undefined)?.link : undefined;
  const origin = typeof window === "undefined" ? "" : window.location.origin;
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="realmId" value={realmId} />
      <div className="grid gap-4 sm:grid-cols-3">
        <TextField
          name="usesAllowed"
          label="Number of uses"
          type="number"
          min={1}
          max={10000}
          required
          defaultValue={1}
          state={state}
          idPrefix="inv"
        />
        <SelectField name="expiresIn" label="Expires" options={EXPIRY} defaultValue="7" state={state} idPrefix="inv" />
        <TextField
          name="note"
          label="Note (optional)"
          defaultValue=""
          state={state}
          hint="Who it is for; only operators see it."
          idPrefix="inv"
        />
      </div>
      <SubmitButton pendingText="Creating…">Create invite</SubmitButton>
      <FormResult state={state}>
        {link ? <CopyValue value={`${origin}${link}`} label="Invite link" /> : null}
      </FormResult>
    </form>
  );
}
