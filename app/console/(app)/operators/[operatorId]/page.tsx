import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { requireActor } from "../../../../../lib/auth/current-actor.ts";
import { db } from "../../../../../lib/db/client.ts";
import { getOperator } from "../../../../../lib/console/operators.ts";
import { canManageOperators } from "../../../../../lib/domain/permissions.ts";
import { EditOperatorForm, OperatorPasswordForm } from "../../../_components/operator-forms.tsx";
import { formatDate, PageHeader } from "../../../_components/ui.tsx";

export const metadata: Metadata = { title: "Operator" };

export default async function OperatorPage({ params }: { params: Promise<{ operatorId: string }> }) {
  const actor = await requireActor();
  if (!canManageOperators(actor)) notFound();
  const { operatorId } = await params;
  const prisma = db().prisma;
  const [op, realms] = await Promise.all([
    getOperator(prisma, decodeURIComponent(operatorId)),
    prisma.realm.findMany({ select: { id: true, name: true }, orderBy: { name: "asc" } }),
  ]);
  if (!op) notFound();
  return (
    <>
      <p className="mb-2 text-sm">
        <Link href="/console/operators">← All operators</Link>
      </p>
      <PageHeader
        title={op.username}
        description={`Created ${formatDate(op.createdAt)} · last sign-in ${formatDate(op.lastLoginAt)}`}
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <section className="card" aria-label="Role and realms">
          <EditOperatorForm
            operatorId={op.id}
            role={op.role}
            disabled={op.disabled}
            realmIds={op.realms.map((r) => r.realmId)}
            realms={realms}
          />
        </section>
        <section className="card" aria-label="Password">
          <OperatorPasswordForm operatorId={op.id} />
        </section>
      </div>
    </>
  );
}
