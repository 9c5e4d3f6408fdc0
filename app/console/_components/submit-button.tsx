"use client";
import { useFormStatus } from "react-dom";
import type { ReactNode } from "react";

export function SubmitButton({
  children,
  variant = "primary",
  pendingText = "Saving…",
}: {
  children: ReactNode;
  variant?: "primary" | "secondary" | "danger";
  pendingText?: string;
}) {
  const { pending } = useFormStatus();
  const cls = variant === "danger" ? "btn-danger" : variant === "secondary" ? "btn-secondary" : "btn-primary";
  return (
    <button type="submit" className={cls} disabled={pending} aria-disabled={pending}>
      {pending ? pendingText : children}
    </button>
  );
}
