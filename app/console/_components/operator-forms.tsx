"use client";
// Administrator forms: create an operator, change role / realms / disabled, set a password.
import { useActionState } from "react";
import { createOperatorAction, setOperatorPasswordAction, updateOperatorAction } from "../_actions/admin.ts";
import {
  CheckboxField,
  errorsFor,
  FieldErrors,
  SelectField,
  PasswordField,
  TextField,
  type FormState,
} from "./fields.tsx";
import { FormResult } from "./form-result.tsx";
import { SubmitButton } from "./submit-button.tsx";
import type { OperatorRole } from "../../../lib/generated/prisma/enums.ts";

const ROLES = [
  ["REALM_OPERATOR", "Realm operator"],
  ["ADMIN", "Administrator"],
] as const satisfies readonly (readonly [OperatorRole, string])[];
// The long explanation lives in the hint: a select shows its option text on one line and cuts it.
const ROLE_HINT = "Realm operators manage only the realms ticked below; administrators manage everything.";

export interface RealmChoice {
  id: string;
  name: string;
}

function RealmChecklist({
  realms,
  selected,
  state,
  idPrefix,
}: {
  realms: RealmChoice[];
  selected: string[];
  state: FormState;
  idPrefix: string;
}) {
  return (
    <fieldset>
      <legend className="label">Realms (for realm operators)</legend>
      {realms.length === 0 ? <p className="text-sm text-slate-700">No realms exist yet.</p> : null}
      <div className="grid gap-2 sm:grid-cols-2">
        {realms.map((r) => (
          <label key={r.id} className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              name="realmIds"
              value={r.id}
              defaultChecked={selected.includes(r.id)}
              className="size-4 accent-brand-600"
              id={`${idPrefix}-realm-${r.id}`}
            />
            {r.name} <span className="font-mono text-xs text-slate-600">{r.id}</span>
          </label>
        ))}
      </div>
      <FieldErrors id={`${idPrefix}-realmIds`} errors={errorsFor(state, "realmIds")} />
    </fieldset>
  );
}

export function CreateOperatorForm({ realms }: { realms: RealmChoice[] }) {
  const [state, action] = useActionState(createOperatorAction, null);
  return (
    <form action={action} className="space-y-4" noValidate>
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <TextField
          name="username"
          label="Username"
          required
          autoComplete="off"
          defaultValue=""
          state={state}
          idPrefix="newop"
        />
        <PasswordField idPrefix="newop" autoComplete="new-password" hint="At least 12 characters." state={state} />
        <SelectField
          name="role"
          label="Role"
          options={ROLES}
          defaultValue="REALM_OPERATOR"
          state={state}
          hint={ROLE_HINT}
          idPrefix="newop"
        />
      </div>
      <RealmChecklist realms={realms} selected={[]} state={state} idPrefix="newop" />
      <SubmitButton pendingText="Creating…">Create operator</SubmitButton>
      <FormResult state={state} />
    </form>
  );
}

export function EditOperatorForm({
  operatorId,
  role,
  disabled,
  realmIds,
  realms,
}: {
  operatorId: string;
  role: string;
  disabled: boolean;
  realmIds: string[];
  realms: RealmChoice[];
}) {
  const [state, action] = useActionState(updateOperatorAction, null);
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="operatorId" value={operatorId} />
      <SelectField
        name="role"
        label="Role"
        options={ROLES}
        defaultValue={role}
        state={state}
        hint={ROLE_HINT}
        idPrefix="op"
      />
      <RealmChecklist realms={realms} selected={realmIds} state={state} idPrefix="op" />
      <CheckboxField
        name="disabled"
        label="Disabled (cannot sign in; open sessions stop working)"
        defaultChecked={disabled}
        idPrefix="op"
      />
      <SubmitButton>Save operator</SubmitButton>
      <FormResult state={state} />
    </form>
  );
}

export function OperatorPasswordForm({ operatorId }: { operatorId: string }) {
  const [state, action] = useActionState(setOperatorPasswordAction, null);
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="operatorId" value={operatorId} />
      <PasswordField
        idPrefix="oppw"
        label="New password"
        autoComplete="new-password"
        hint="At least 12 characters."
        state={state}
      />
      <SubmitButton variant="secondary">Set password</SubmitButton>
      <FormResult state={state} />
    </form>
  );
}
