"use client";
// Create an API token: a name, a scope (administrator, or realm operator on chosen realms) and an
// expiry; on success the token is shown once with a copy button.
import { useActionState, useState } from "react";
import { createApiTokenAction } from "../_actions/api-tokens.ts";
import { CopyValue } from "./copy-button.tsx";
import { errorsFor, FieldErrors, SelectField, TextField } from "./fields.tsx";
import { FormResult } from "./form-result.tsx";
import { SubmitButton } from "./submit-button.tsx";

const EXPIRY = [
  ["90", "In 90 days"],
  ["30", "In 30 days"],
  ["365", "In 1 year"],
  ["never", "Never"],
] as const;

export function ApiTokenForm({ isAdmin, realms }: { isAdmin: boolean; realms: { id: string; name: string }[] }) {
  const [state, action] = useActionState(createApiTokenAction, null);
  const [role, setRole] = useState(isAdmin ? "ADMIN" : "REALM_OPERATOR");
  const token = state?.ok ? (state.data as { token?: string } | undefined)?.token : undefined;
  return (
    <form action={action} className="space-y-4" noValidate>
      <div className="grid gap-4 sm:grid-cols-3">
        <TextField
          name="name"
          label="Name"
          required
          autoComplete="off"
          defaultValue=""
          state={state}
          hint="What uses it, e.g. “provisioning script”."
          idPrefix="tok"
        />
        {isAdmin ? (
          <SelectField
            name="role"
            label="Scope"
            options={[
              ["ADMIN", "Administrator (everything)"],
              ["REALM_OPERATOR", "Chosen realms only"],
            ]}
            defaultValue={role}
            onChange={setRole}
            errors={errorsFor(state, "role")}
            idPrefix="tok"
          />
        ) : (
          <input type="hidden" name="role" value="REALM_OPERATOR" />
        )}
        <SelectField name="expiresIn" label="Expires" options={EXPIRY} defaultValue="90" state={state} idPrefix="tok" />
      </div>
      {role === "REALM_OPERATOR" ? (
        <fieldset>
          <legend className="label">Realms the token may act on</legend>
          {realms.length === 0 ? <p className="text-sm text-slate-700">You operate no realm.</p> : null}
          <div className="grid gap-2 sm:grid-cols-2">
            {realms.map((r) => (
              <label key={r.id} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  name="realmIds"
                  value={r.id}
                  defaultChecked={!isAdmin}
                  className="size-4 accent-brand-600"
                />
                {r.name} <span className="font-mono text-xs break-all text-slate-600">{r.id}</span>
              </label>
            ))}
          </div>
          <FieldErrors id="tok-realmIds" errors={errorsFor(state, "realmIds")} />
        </fieldset>
      ) : null}
      <SubmitButton pendingText="Creating…">Create token</SubmitButton>
      <FormResult state={state}>{token ? <CopyValue value={token} label="API token" /> : null}</FormResult>
    </form>
  );
}
