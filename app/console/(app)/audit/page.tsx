// Audit log: every console change, newest first, filterable by realm / action / actor.
import type { Metadata } from "next";
import Link from "next/link";
import { requireActor } from "../../../../lib/auth/current-actor.ts";
import { db } from "../../../../lib/db/client.ts";
import { listAudit, listAuditActions } from "../../../../lib/console/audit.ts";
import { actionLabel, actorName, describeChanges, relativeTime } from "../../../../lib/console/audit-view.ts";
import { listRealms } from "../../../../lib/console/realms.ts";
import { EmptyState, formatDate, PageHeader } from "../../_components/ui.tsx";

export const metadata: Metadata = { title: "Audit log" };

type Search = { realm?: string; action?: string; actor?: string; before?: string };
const one = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim().slice(0, 200) : undefined);

export default async function AuditPage({ searchParams }: { searchParams: Promise<Search> }) {
  const actor = await requireActor();
  const sp = await searchParams;
  const prisma = db().prisma;
  const realms = await listRealms(prisma, actor);
  const realmSlug = one(sp.realm);
  const realm = realmSlug ? realms.find((r) => r.slug === realmSlug) : undefined;
  const before = one(sp.before);
  const filter = {
    realmId: realm?.id ?? (realmSlug ? "(none)" : undefined),
    action: one(sp.action),
    actor: one(sp.actor),
    before: before && /^\d+$/.test(before) ? BigInt(before) : undefined,
  };
  const [{ rows, nextBefore }, actions] = await Promise.all([
    listAudit(prisma, actor, filter),
    listAuditActions(prisma),
  ]);
  const names = new Map(realms.map((r) => [r.id, r.name]));
  const realmName = (id: string) => names.get(id) ?? id;
  const now = new Date();
  const query = (extra: Record<string, string>) =>
    `/console/audit?${new URLSearchParams({ ...(realmSlug ? { realm: realmSlug } : {}), ...(filter.action ? { action: filter.action } : {}), ...(filter.actor ? { actor: filter.actor } : {}), ...extra })}`;
  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change made in the console: who, when, and the values before and after. Secrets are recorded only as changed."
      />
      <form method="get" action="/console/audit" className="card mb-6 grid gap-4 sm:grid-cols-4 sm:items-end">
        <div>
          <label htmlFor="audit-realm" className="label">
            Realm
          </label>
          <select id="audit-realm" name="realm" defaultValue={realmSlug ?? ""} className="input">
            <option value="">All realms</option>
            {realms.map((r) => (
              <option key={r.id} value={r.slug}>
                {r.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="audit-action" className="label">
            Action
          </label>
          <select id="audit-action" name="action" defaultValue={filter.action ?? ""} className="input">
            <option value="">All actions</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {actionLabel(a)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="audit-actor" className="label">
            Actor
          </label>
          <input
            id="audit-actor"
            name="actor"
            defaultValue={filter.actor ?? ""}
            placeholder="operator name"
            className="input"
          />
        </div>
        <div className="flex gap-2">
          <button type="submit" className="btn-primary">
            Filter
          </button>
          <Link href="/console/audit" className="btn-secondary">
            Clear
          </Link>
        </div>
      </form>
      {rows.length === 0 ? (
        <EmptyState title="No entries">Nothing matches these filters.</EmptyState>
      ) : (
        <ol className="space-y-3" data-testid="audit-entries">
          {rows.map((r) => {
            const changes = describeChanges(r.before, r.after, realmName);
            return (
              <li key={r.id.toString()} className="card py-3 sm:py-4" data-testid="audit-entry">
                <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1 text-sm">
                  <span className="font-semibold" title={r.action}>
                    {actionLabel(r.action)}
                  </span>
                  <span>
                    by <strong>{actorName(r.actorLabel)}</strong>
                  </span>
                  <time dateTime={r.at.toISOString()} title={formatDate(r.at)} className="text-slate-700">
                    {relativeTime(r.at, now)}
                  </time>
                  <span className="text-slate-700">
                    {r.targetType === "realm" ? (
                      <>realm {realmName(r.targetId)}</>
                    ) : (
                      <>
                        {r.targetType} <span className="font-mono text-xs break-all">{r.targetId}</span>
                      </>
                    )}
                  </span>
                  {r.realmId && r.targetType !== "realm" ? (
                    <span className="text-slate-700">in {realmName(r.realmId)}</span>
                  ) : null}
                </div>
                {changes.length ? (
                  <details className="mt-2 text-sm">
                    <summary className="cursor-pointer text-brand-700">
                      {changes.length} field{changes.length === 1 ? "" : "s"} changed
                    </summary>
                    <dl className="mt-2 space-y-1" data-testid="audit-changes">
                      {changes.map((c) => (
                        <div key={c.key} className="flex flex-wrap gap-x-2">
                          <dt className="font-medium text-slate-800">{c.label}:</dt>
                          <dd className="break-words text-slate-700">
                            {c.before} → <span className="text-slate-900">{c.after}</span>
                          </dd>
                        </div>
                      ))}
                    </dl>
                  </details>
                ) : null}
              </li>
            );
          })}
        </ol>
      )}
      {nextBefore ? (
        <nav aria-label="Pages" className="mt-4 flex justify-end">
          <Link href={query({ before: nextBefore.toString() })} className="btn-secondary" rel="next">
            Older entries →
          </Link>
        </nav>
      ) : null}
    </>
  );
}
