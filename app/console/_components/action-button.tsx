"use client";
// A one-button form for a server action (revoke, approve, suspend...), with its result inline.
import { useActionState } from "react";
import type { ActionResult } from "../../../lib/console/command.ts";
import { SubmitButton } from "./submit-button.tsx";

type Action = (prev: ActionResult | null, form: FormData) => Promise<ActionResult>;

export function ActionButton({
  action,
  fields,
  label,
  variant = "secondary",
  confirm,
}: {
  action: Action;
  fields: Record<string, string>;
  label: string;
  variant?: "primary" | "secondary" | "danger";
  confirm?: string;
}) {
  const [state, formAction] = useActionState(action, null);
  return (
    <form
      action={formAction}
      className="inline-flex flex-col items-start gap-1"
      onSubmit={(e) => {
        if (confirm && !window.confirm(confirm)) e.preventDefault();
      }}
    >
      {Object.entries(fields).map(([k, v]) => (
        <input key={k} type="hidden" name={k} value={v} />
      ))}
      <SubmitButton variant={variant} pendingText="Working…">
        {label}
      </SubmitButton>
      {state && !state.ok ? (
        <p role="alert" className="text-sm text-red-700">
          {state.error}
        </p>
      ) : null}
    </form>
  );
}
