// Small shared pieces of the public pages (signup, message links): page frame, notices, code.
// The labelled field is the console's too: app/_components/field.tsx.
import type { ReactNode } from "react";

export function PublicPage({
  title,
  subtitle,
  children,
}: {
  title: string;
  subtitle?: ReactNode;
  children: ReactNode;
}) {
  return (
    <main className="mx-auto w-full max-w-lg px-4 py-10 sm:py-14">
      <p className="text-sm font-semibold tracking-wide text-brand-700">OpenGroove</p>
      <h1 className="page-title mt-1">{title}</h1>
      {subtitle ? <div className="mt-2 text-slate-700">{subtitle}</div> : null}
      <div className="mt-6 space-y-6">{children}</div>
    </main>
  );
}

export function Notice({
  tone = "info",
  title,
  children,
  testId,
}: {
  tone?: "info" | "error" | "success" | "warning";
  title?: string;
  children: ReactNode;
  testId?: string;
}) {
  const tones = {
    info: "border-brand-100 bg-brand-50 text-slate-900",
    error: "border-red-200 bg-red-50 text-red-900",
    success: "border-green-200 bg-green-50 text-green-950",
    warning: "border-amber-200 bg-amber-50 text-amber-950",
  } as const;
  return (
    <div
      className={`rounded-lg border p-4 text-sm ${tones[tone]}`}
      role={tone === "error" ? "alert" : "status"}
      data-testid={testId}
    >
      {title ? <p className="mb-1 font-semibold">{title}</p> : null}
      <div className="space-y-2">{children}</div>
    </div>
  );
}

export function Code({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <code
      className="block rounded-md border border-slate-200 bg-slate-100 px-3 py-2 font-mono text-sm break-all text-slate-900"
      data-testid={testId}
    >
      {children}
    </code>
  );
}
