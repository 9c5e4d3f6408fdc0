// Console operators (administrators only).
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { requireActor } from "../../../../lib/auth/current-actor.ts";
import { db } from "../../../../lib/db/client.ts";
import { listOperators } from "../../../../lib/console/operators.ts";
import { canManageOperators } from "../../../../lib/domain/permissions.ts";
import { CreateOperatorForm } from "../../_components/operator-forms.tsx";
import { Badge, formatDate, PageHeader } from "../../_components/ui.tsx";
import { DataTable } from "../../_components/data-table.tsx";

export const metadata: Metadata = { title: "Operators" };

export default async function OperatorsPage() {
  const actor = await requireActor();
  if (!canManageOperators(actor)) notFound();
  const prisma = db().prisma;
  const [operators, realms] = await Promise.all([
    listOperators(prisma),
    prisma.realm.findMany({ select: { id: true, name: true }, orderBy: { name: "asc" } }),
  ]);
  return (
    <>
      <PageHeader
        title="Operators"
        description="Who can sign in to this console, and which realms each realm operator manages."
      />
      <div className="space-y-6">
        <DataTable className="min-w-[40rem]" columns={["Username", "Role", "Realms", "Last sign-in"]}>
          {operators.map((o) => (
            <tr key={o.id}>
              <td>
                <Link href={`/console/operators/${o.id}`} className="font-medium">
                  {o.username}
                </Link>{" "}
                {o.disabled ? <Badge tone="red">disabled</Badge> : null}
              </td>
              <td>{o.role === "ADMIN" ? <Badge tone="blue">administrator</Badge> : "realm operator"}</td>
              <td>
                {o.role === "ADMIN" ? (
                  "all"
                ) : o.realms.length ? (
                  o.realms.map((r) => r.realm.name).join(", ")
                ) : (
                  <span className="text-red-800">none assigned</span>
                )}
              </td>
              <td>{formatDate(o.lastLoginAt)}</td>
            </tr>
          ))}
        </DataTable>
        <section className="card" aria-labelledby="new-op-heading">
          <h2 id="new-op-heading" className="section-title mb-3">
            New operator
          </h2>
          <CreateOperatorForm realms={realms} />
        </section>
      </div>
    </>
  );
}
