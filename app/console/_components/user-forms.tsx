"use client";
// Forms on one user's page: suspend/reactivate, reset password, quota and permission flags.
import { useActionState } from "react";
import {
  deleteUserAccountAction,
  resetUserPasswordAction,
  setUserStatusAction,
  updateUserLimitsAction,
} from "../_actions/users.ts";
import { CopyValue } from "./copy-button.tsx";
import { CheckboxField, errorsFor, SizeField, PasswordField, TextField, valueFor } from "./fields.tsx";
import { FormResult } from "./form-result.tsx";
import { SubmitButton } from "./submit-button.tsx";
import type { UserStatus } from "../../../lib/generated/prisma/enums.ts";

export function UserStatusForm({ userId, username, status }: { userId: string; username: string; status: UserStatus }) {
  const [state, action] = useActionState(setUserStatusAction, null);
  const suspend = status === "ACTIVE";
  return (
    <form
      action={action}
      className="space-y-2"
      onSubmit={(e) => {
        if (suspend && !window.confirm(`Suspend ${username}? Their live sessions are closed at once.`))
          e.preventDefault();
      }}
    >
      <input type="hidden" name="userId" value={userId} />
      <input type="hidden" name="status" value={suspend ? "SUSPENDED" : "ACTIVE"} />
      <p className="text-sm text-slate-700">
        {suspend
          ? "Suspending signs the user out everywhere and refuses new sign-ins. Nothing is deleted."
          : "This user is suspended and cannot sign in."}
      </p>
      <SubmitButton variant={suspend ? "danger" : "primary"}>
        {suspend ? "Suspend user" : "Reactivate user"}
      </SubmitButton>
      <FormResult state={state} />
    </form>
  );
}

export function UserPasswordForm({ userId }: { userId: string }) {
  const [state, action] = useActionState(resetUserPasswordAction, null);
  const generated = state?.ok ? (state.data as { password?: string } | undefined)?.password : undefined;
  return (
    <form action={action} className="space-y-3 border-t border-slate-200 pt-4" noValidate>
      <input type="hidden" name="userId" value={userId} />
      <PasswordField
        idPrefix="pw"
        label="New password"
        autoComplete="new-password"
        required={false}
        hint="Leave blank to generate one. The user's sessions are closed."
        state={state}
      />
      <SubmitButton variant="secondary">Reset password</SubmitButton>
      <FormResult state={state}>
        {generated ? <CopyValue value={generated} label="Generated password" /> : null}
      </FormResult>
    </form>
  );
}

interface LimitsInitial {
  quota: string;
  quotaUnit: string;
  imessageRatePerMinute: string;
  canMessageOtherRealms: boolean;
  canCreateWorkspaces: boolean;
  canCreateInvites: boolean;
}

export function UserLimitsForm({
  userId,
  initial,
  realmDefault,
  realmRate,
}: {
  userId: string;
  initial: LimitsInitial;
  realmDefault: string;
  realmRate: number;
}) {
  const [state, action] = useActionState(updateUserLimitsAction, null);
  return (
    <form action={action} className="mt-3 space-y-4" noValidate>
      <input type="hidden" name="userId" value={userId} />
      <SizeField
        name="quota"
        label="Quota override"
        required={false}
        value={valueFor(state, "quota", initial.quota)}
        unit={valueFor(state, "quotaUnit", initial.quotaUnit)}
        errors={errorsFor(state, "quota")}
        hint={`Blank uses the realm default (${realmDefault}). Lowering it deletes nothing.`}
        idPrefix="lim"
      />
      <TextField
        name="imessageRatePerMinute"
        label="Immediate messages per minute"
        type="number"
        min={0}
        defaultValue={initial.imessageRatePerMinute}
        state={state}
        hint={`Blank uses the realm's rate (${realmRate}).`}
        idPrefix="lim"
      />
      <fieldset className="space-y-2">
        <legend className="label">Permissions</legend>
        <CheckboxField
          name="canMessageOtherRealms"
          label="May message users of other realms"
          defaultChecked={initial.canMessageOtherRealms}
          idPrefix="lim"
        />
        <CheckboxField
          name="canCreateWorkspaces"
          label="May create workspaces"
          defaultChecked={initial.canCreateWorkspaces}
          idPrefix="lim"
        />
        <CheckboxField
          name="canCreateInvites"
          label="May create invites to this realm"
          defaultChecked={initial.canCreateInvites}
          idPrefix="lim"
        />
      </fieldset>
      <SubmitButton>Save quota and permissions</SubmitButton>
      <FormResult state={state} />
    </form>
  );
}

/** Export (download, audited) and deletion of the user's account. */
export function UserDataForm({
  userId,
  username,
  exportHref,
}: {
  userId: string;
  username: string;
  exportHref: string;
}) {
  const [state, action] = useActionState(deleteUserAccountAction, null);
  if (state?.ok) return <FormResult state={state} />;
  return (
    <div className="space-y-3 border-t border-slate-200 pt-4">
      <a href={exportHref} className="btn-secondary" download>
        Export user data
      </a>
      <form
        action={action}
        className="space-y-2"
        onSubmit={(e) => {
          if (!window.confirm(`Delete ${username} for good?`)) e.preventDefault();
        }}
      >
        <input type="hidden" name="userId" value={userId} />
        <TextField
          name="confirm"
          label={`Type ${username} to delete this account`}
          state={state}
          hint="Retracts their waiting messages, removes them from workspaces and releases their storage."
          idPrefix="del"
        />
        <SubmitButton variant="danger">Delete account</SubmitButton>
        <FormResult state={state} />
      </form>
    </div>
  );
}
