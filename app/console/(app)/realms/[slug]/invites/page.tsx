// Invites of a realm: create (link shown once), revoke, pending / completed counts.
import type { Metadata } from "next";
import { db } from "../../../../../../lib/db/client.ts";
import { inviteState, listInvites } from "../../../../../../lib/console/invites.ts";
import { revokeInviteAction } from "../../../../_actions/invites.ts";
import { InviteForm } from "../../../../_components/invite-form.tsx";
import { Badge, EmptyState, formatDate, Stat } from "../../../../_components/ui.tsx";
import { DataTable, RevokeCell } from "../../../../_components/data-table.tsx";
import { loadRealm } from "../../../../_lib/load-realm.ts";

export const metadata: Metadata = { title: "Invites" };

const TONE = { active: "green", revoked: "red", expired: "slate", "used up": "blue" } as const;

export default async function InvitesPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { realm } = await loadRealm(slug);
  const { invites, pending, completed, total } = await listInvites(db().prisma, realm.id);
  const now = new Date();
  return (
    <div className="space-y-6">
      {realm.registrationMode !== "INVITE" ? (
        <p className="rounded-md border border-amber-400 bg-amber-50 px-3 py-2 text-sm text-amber-950">
          Registration is <strong>{realm.registrationMode.toLowerCase()}</strong> on this realm; invites only matter
          when it is set to invite.
        </p>
      ) : null}
      <section className="card" aria-labelledby="new-invite-heading">
        <h2 id="new-invite-heading" className="section-title mb-3">
          New invite
        </h2>
        <InviteForm realmId={realm.id} />
      </section>
      <section aria-labelledby="invites-heading" className="space-y-3">
        <h2 id="invites-heading" className="section-title">
          Invites
        </h2>
        <dl className="grid grid-cols-3 gap-4 sm:max-w-md">
          <Stat label="Invites" value={total} />
          <Stat label="Pending signups" value={<span data-testid="invites-pending">{pending}</span>} />
          <Stat label="Completed" value={<span data-testid="invites-completed">{completed}</span>} />
        </dl>
        {invites.length === 0 ? (
          <EmptyState title="No invites yet">Create one above and send the link to the person you invite.</EmptyState>
        ) : (
          <DataTable
            className="min-w-[44rem]"
            columns={["Created", "Note", "Uses (done / allowed)", "Pending", "Expires", "State"]}
            actions
          >
            {invites.map((i) => {
              const state = inviteState(i, now);
              return (
                <tr key={i.id} data-testid="invite-row">
                  <td>{formatDate(i.createdAt)}</td>
                  <td>{i.note || <span className="text-slate-500">—</span>}</td>
                  <td>
                    {i.completed} / {i.usesAllowed}
                  </td>
                  <td>{i.pending}</td>
                  <td>{i.expiresAt ? formatDate(i.expiresAt) : "never"}</td>
                  <td>
                    <Badge tone={TONE[state]}>{state}</Badge>
                  </td>
                  <RevokeCell
                    active={state === "active"}
                    action={revokeInviteAction}
                    fields={{ inviteId: i.id }}
                    confirm="Revoke this invite? Its link stops working."
                  />
                </tr>
              );
            })}
          </DataTable>
        )}
      </section>
    </div>
  );
}
