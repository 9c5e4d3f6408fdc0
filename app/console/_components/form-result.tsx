// The outcome of a form submission: success (with warnings) or an error summary.
import type { ReactNode } from "react";
import type { FormState } from "./fields.tsx";

export function FormResult({ state, children }: { state: FormState; children?: ReactNode }) {
  if (!state) return null;
  if (!state.ok) {
    return (
      <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
        {state.error}
      </div>
    );
  }
  return (
    <div role="status" className="space-y-2">
      <p className="rounded-md border border-green-300 bg-green-50 px-3 py-2 text-sm text-green-900">{state.message}</p>
      {state.warnings?.length ? <Warnings items={state.warnings} /> : null}
      {children}
    </div>
  );
}

export function Warnings({ items, title = "Check this" }: { items: string[]; title?: string }) {
  if (!items.length) return null;
  return (
    <div className="rounded-md border border-amber-400 bg-amber-50 px-3 py-2 text-sm text-amber-950">
      <p className="font-semibold">{title}</p>
      <ul className="mt-1 list-disc space-y-1 pl-5">
        {items.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
    </div>
  );
}
