// Small presentational pieces shared by the console pages.
import Link from "next/link";
import type { ReactNode } from "react";
import { formatBytes } from "../../../lib/format/bytes.ts";

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <div className="mb-6 flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
      <div>
        <h1 className="page-title">{title}</h1>
        {description ? <p className="mt-1 text-sm text-slate-700">{description}</p> : null}
      </div>
      {actions ? <div className="flex flex-wrap gap-2">{actions}</div> : null}
    </div>
  );
}

/** The page-header action of the dashboard and the realm list (for those who may create realms). */
export function NewRealmButton() {
  return (
    <Link href="/console/realms/new" className="btn-primary">
      New realm
    </Link>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white px-6 py-10 text-center">
      <p className="font-medium text-slate-900">{title}</p>
      {children ? <div className="mt-2 text-sm text-slate-700">{children}</div> : null}
    </div>
  );
}

const TONES = {
  green: "bg-green-100 text-green-900",
  red: "bg-red-100 text-red-900",
  amber: "bg-amber-100 text-amber-950",
  slate: "bg-slate-200 text-slate-800",
  blue: "bg-brand-100 text-brand-800",
} as const;

export function Badge({ tone = "slate", children }: { tone?: keyof typeof TONES; children: ReactNode }) {
  return <span className={`badge ${TONES[tone]}`}>{children}</span>;
}

/** used / limit as a labelled bar; turns red (and says so) when over the limit. */
export function UsageBar({
  used,
  limit,
  label,
  format = "bytes",
}: {
  used: bigint | number;
  limit: bigint | number;
  label: string;
  format?: "bytes" | "count";
}) {
  const u = Number(used);
  const l = Number(limit);
  const pct = l > 0 ? Math.min(100, (u / l) * 100) : u > 0 ? 100 : 0;
  const over = u > l;
  const show = (n: number) => (format === "bytes" ? formatBytes(n) : n.toLocaleString("en"));
  return (
    <div>
      <div className="flex justify-between gap-2 text-xs text-slate-700">
        <span>{label}</span>
        <span className={over ? "font-semibold text-red-800" : undefined}>
          {show(u)} / {show(l)}
          {over ? " — over the limit" : ""}
        </span>
      </div>
      <div
        className="mt-1 h-2 rounded-full bg-slate-200"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={l}
        aria-valuenow={u}
      >
        <div
          className={`h-2 rounded-full ${over ? "bg-red-700" : pct > 85 ? "bg-amber-500" : "bg-brand-600"}`}
          style={{ width: `${pct}%` }}
        />
      </div>
    </div>
  );
}

export function Stat({ label, value, sub }: { label: string; value: ReactNode; sub?: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium text-slate-600 uppercase">{label}</dt>
      <dd className="mt-0.5 text-lg font-semibold text-slate-900">{value}</dd>
      {sub ? <dd className="text-xs text-slate-600">{sub}</dd> : null}
    </div>
  );
}

export function formatDate(d: Date | null | undefined): string {
  if (!d) return "—";
  return d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}
