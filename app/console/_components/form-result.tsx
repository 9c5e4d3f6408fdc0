"use client";
// The outcome of a form submission: success (with warnings) or an error summary, shown where the
// form starts and, because a long form's top is often scrolled out of view, also as a toast fixed
// to the viewport (a live region) — with focus moved to the first invalid field after a failure.
import { useEffect, useRef, useState, type ReactNode } from "react";
import { createPortal } from "react-dom";
import type { FormState } from "./fields.tsx";

export function FormResult({ state, children }: { state: FormState; children?: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [toast, setToast] = useState<FormState>(null);
  useEffect(() => {
    setToast(state);
    if (!state) return;
    if (!state.ok) {
      const form = ref.current?.closest("form");
      const first = form?.querySelector<HTMLElement>('[aria-invalid="true"]');
      first?.focus();
      return;
    }
    // Success fades on its own; an error stays until dismissed or the next submission.
    const t = setTimeout(() => setToast(null), 8000);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <div ref={ref}>
      {state ? <InlineResult state={state}>{children}</InlineResult> : null}
      {toast && typeof document !== "undefined"
        ? createPortal(<Toast state={toast} onClose={() => setToast(null)} />, document.body)
        : null}
    </div>
  );
}

function InlineResult({ state, children }: { state: NonNullable<FormState>; children?: ReactNode }) {
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

function Toast({ state, onClose }: { state: NonNullable<FormState>; onClose: () => void }) {
  const text = state.ok
    ? state.message + (state.warnings?.length ? ` (${state.warnings.length} to check above)` : "")
    : state.error;
  return (
    <div
      data-testid="toast"
      role={state.ok ? "status" : "alert"}
      className={`fixed right-4 bottom-4 left-4 z-50 mx-auto flex max-w-md items-start gap-3 rounded-md border px-4 py-3 text-sm shadow-lg sm:left-auto ${
        state.ok ? "border-green-300 bg-green-50 text-green-900" : "border-red-300 bg-red-50 text-red-800"
      }`}
    >
      <p className="min-w-0 flex-1 break-words">{text}</p>
      <button type="button" onClick={onClose} className="shrink-0 font-semibold" aria-label="Dismiss">
        ×
      </button>
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
