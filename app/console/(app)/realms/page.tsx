import type { Metadata } from "next";
import Link from "next/link";
import { requireActor } from "../../../../lib/auth/current-actor.ts";
import { db } from "../../../../lib/db/client.ts";
import { formatBytes } from "../../../../lib/format/bytes.ts";
import { listRealms } from "../../../../lib/console/realms.ts";
import { canCreateRealm } from "../../../../lib/domain/permissions.ts";
import { Badge, EmptyState, NewRealmButton, PageHeader } from "../../_components/ui.tsx";
import { DataTable } from "../../_components/data-table.tsx";

export const metadata: Metadata = { title: "Realms" };

const MODE = { OPEN: "Open", INVITE: "Invite only", CLOSED: "Closed" } as const;

export default async function RealmsPage() {
  const actor = await requireActor();
  const realms = await listRealms(db().prisma, actor);
  return (
    <>
      <PageHeader
        title="Realms"
        description="Registration, caps, quotas and limits of each realm."
        actions={canCreateRealm(actor) ? <NewRealmButton /> : null}
      />
      {realms.length === 0 ? (
        <EmptyState title="No realms yet">
          {canCreateRealm(actor) ? (
            <Link href="/console/realms/new">Create a realm</Link>
          ) : (
            "An administrator has not assigned a realm to you yet."
          )}
        </EmptyState>
      ) : (
        <DataTable
          className="min-w-[40rem]"
          columns={["Name", "Realm id", "Registration", "Users / cap", "Default quota", "Status"]}
        >
          {realms.map((r) => (
            <tr key={r.id}>
              <td>
                <Link href={`/console/realms/${r.slug}`} className="font-medium">
                  {r.name}
                </Link>
              </td>
              <td className="font-mono text-xs">{r.id}</td>
              <td>{MODE[r.registrationMode]}</td>
              <td className={r.userCount > r.userCap ? "font-semibold text-red-800" : undefined}>
                {r.userCount} / {r.userCap}
                {r.userCount > r.userCap ? " (over cap)" : ""}
              </td>
              <td>{formatBytes(r.defaultQuotaBytes)}</td>
              <td>{r.status === "ACTIVE" ? <Badge tone="green">Active</Badge> : <Badge tone="red">Disabled</Badge>}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}
