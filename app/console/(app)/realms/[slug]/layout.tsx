// Header and tabs for one realm; the realm must be visible to the operator (404 otherwise).
import type { ReactNode } from "react";
import { loadRealm } from "../../../_lib/load-realm.ts";
import { RealmTabs } from "../../../_components/realm-tabs.tsx";
import { Badge } from "../../../_components/ui.tsx";

export default async function RealmLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ slug: string }>;
}) {
  const { slug } = await params;
  const { realm } = await loadRealm(slug);
  return (
    <>
      <div className="mb-4">
        <p className="text-sm text-slate-600">Realm</p>
        <h1 className="page-title flex flex-wrap items-center gap-2">
          {realm.name} {realm.status === "DISABLED" ? <Badge tone="red">Disabled</Badge> : null}
        </h1>
        <p className="font-mono text-xs text-slate-600">{realm.id}</p>
      </div>
      <RealmTabs slug={realm.slug} />
      <div className="mt-6">{children}</div>
    </>
  );
}
