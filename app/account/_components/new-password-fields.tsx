// A realm user's new password, typed twice (changing it on the account page, or choosing it
// through a one-time link); the rule in the hint is the realm's password rule.
import { PasswordField, type FormState } from "../../console/_components/fields.tsx";

export function NewPasswordFields({ state, idPrefix }: { state: FormState; idPrefix: string }) {
  return (
    <>
      <PasswordField
        idPrefix={idPrefix}
        label="New password"
        autoComplete="new-password"
        hint="At least 10 characters, not a common password, not containing your username."
        state={state}
      />
      <PasswordField
        idPrefix={idPrefix}
        name="confirm"
        label="New password again"
        autoComplete="new-password"
        state={state}
      />
    </>
  );
}
