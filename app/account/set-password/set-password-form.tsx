"use client";
// Choose a password through a one-time link; afterwards, where to sign in (web and CLI).
import Link from "next/link";
import { useActionState } from "react";
import { setPasswordWithLinkAction } from "./actions.ts";
import { NewPasswordFields } from "../_components/new-password-fields.tsx";
import { FormResult } from "../../console/_components/form-result.tsx";
import { SubmitButton } from "../../console/_components/submit-button.tsx";

export function SetPasswordForm({ token, username }: { token: string; username: string }) {
  const [state, action] = useActionState(setPasswordWithLinkAction, null);
  if (state?.ok) {
    const d = state.data as { realmSlug: string; fullId: string };
    return (
      <div className="space-y-3" data-testid="password-set">
        <FormResult state={state} />
        <p>
          <Link href={`/account/sign-in?realm=${encodeURIComponent(d.realmSlug)}`} className="btn-primary">
            Sign in to your account
          </Link>
        </p>
        <p className="text-sm text-slate-700">From the command line:</p>
        <pre className="overflow-x-auto rounded bg-slate-100 p-2 text-sm">
          npx opengroove login {d.fullId} --computer laptop --create-computer
        </pre>
      </div>
    );
  }
  return (
    <form action={action} className="space-y-4" noValidate>
      <FormResult state={state} />
      <input type="hidden" name="token" value={token} />
      {/* For password managers: the account the new password belongs to. */}
      <input type="text" name="username" value={username} autoComplete="username" readOnly hidden />
      <NewPasswordFields idPrefix="setpw" state={state} />
      <SubmitButton pendingText="Saving…">Set password</SubmitButton>
    </form>
  );
}
