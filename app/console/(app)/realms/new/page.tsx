import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { requireActor } from "../../../../../lib/auth/current-actor.ts";
import { canCreateRealm } from "../../../../../lib/domain/permissions.ts";
import { RealmForm } from "../../../_components/realm-form.tsx";
import { NEW_REALM_VALUES } from "../../../_lib/realm-form-values.ts";
import { PageHeader } from "../../../_components/ui.tsx";

export const metadata: Metadata = { title: "New realm" };

export default async function NewRealmPage() {
  const actor = await requireActor();
  if (!canCreateRealm(actor)) notFound();
  return (
    <>
      <PageHeader title="New realm" description="The realm daemon starts serving it within a second of saving." />
      <div className="card">
        <RealmForm mode="create" initial={NEW_REALM_VALUES} canChangeStatus />
      </div>
    </>
  );
}
