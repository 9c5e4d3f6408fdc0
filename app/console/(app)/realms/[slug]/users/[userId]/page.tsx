// One user: storage breakdown against the effective quota, computers, and the operator's actions.
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { db } from "../../../../../../../lib/db/client.ts";
import { fromBytes } from "../../../../../../../lib/console/form.ts";
import { formatBytes } from "../../../../../../../lib/format/bytes.ts";
import { getUserDetail } from "../../../../../../../lib/console/users.ts";
import {
  UserDataForm,
  UserLimitsForm,
  UserPasswordForm,
  UserStatusForm,
} from "../../../../../_components/user-forms.tsx";
import { Badge, formatDate, Stat, UsageBar } from "../../../../../_components/ui.tsx";
import { loadRealm } from "../../../../../_lib/load-realm.ts";

export const metadata: Metadata = { title: "User" };

export default async function UserPage({ params }: { params: Promise<{ slug: string; userId: string }> }) {
  const { slug, userId } = await params;
  const { realm } = await loadRealm(slug);
  const detail = await getUserDetail(db().prisma, decodeURIComponent(userId));
  if (!detail || detail.user.realmId !== realm.id) notFound();
  const { user, effectiveQuotaBytes, computers, messagesWaiting } = detail;
  const quota = user.quotaBytes === null ? null : fromBytes(user.quotaBytes);
  const parts = [
    { label: "Messages waiting", bytes: user.messageBytes },
    { label: "Workspace changes", bytes: user.workspaceBytes },
    { label: "Settings", bytes: user.settingsBytes },
  ];
  return (
    <div className="space-y-6">
      <p className="text-sm">
        <Link href={`/console/realms/${realm.slug}/users`}>← All users</Link>
      </p>
      <div className="flex flex-wrap items-center gap-3">
        <h2 className="text-xl font-semibold">{user.username}</h2>
        {user.status === "ACTIVE" ? <Badge tone="green">Active</Badge> : <Badge tone="red">Suspended</Badge>}
      </div>
      <section className="card" aria-labelledby="storage-heading">
        <h3 id="storage-heading" className="section-title">
          Storage
        </h3>
        <div className="mt-3">
          <UsageBar
            used={user.bytesUsed}
            limit={effectiveQuotaBytes}
            label={`Total (quota ${user.quotaBytes === null ? "from realm default" : "override"})`}
          />
        </div>
        <dl className="mt-4 grid grid-cols-2 gap-4 sm:grid-cols-4">
          {parts.map((p) => (
            <Stat key={p.label} label={p.label} value={formatBytes(p.bytes)} />
          ))}
          <Stat label="Messages to pick up" value={messagesWaiting.toLocaleString("en")} sub="addressed to this user" />
        </dl>
      </section>
      <section className="card" aria-labelledby="computers-heading">
        <h3 id="computers-heading" className="section-title">
          Computers ({computers.length} of {realm.maxComputersPerUser})
        </h3>
        {computers.length === 0 ? (
          <p className="mt-2 text-sm text-slate-700">No computer registered yet.</p>
        ) : (
          <ul className="mt-3 divide-y divide-slate-100">
            {computers.map((c) => (
              <li key={c.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
                <span className="font-medium">{c.name}</span>
                <span className="flex items-center gap-2 text-slate-700">
                  {c.online ? <Badge tone="green">online</Badge> : <Badge>offline</Badge>} last seen{" "}
                  {formatDate(c.lastSeenAt)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <div className="grid gap-6 lg:grid-cols-2">
        <section className="card space-y-4" aria-labelledby="access-heading">
          <h3 id="access-heading" className="section-title">
            Access
          </h3>
          <UserStatusForm userId={user.id} username={user.username} status={user.status} />
          <UserPasswordForm userId={user.id} />
          <UserDataForm
            userId={user.id}
            username={user.username}
            exportHref={`/console/realms/${slug}/users/${user.id}/export`}
          />
        </section>
        <section className="card" aria-labelledby="limits-heading">
          <h3 id="limits-heading" className="section-title">
            Quota and permissions
          </h3>
          <UserLimitsForm
            userId={user.id}
            realmDefault={formatBytes(realm.defaultQuotaBytes)}
            realmRate={realm.imessageRatePerMinute}
            initial={{
              quota: quota?.value ?? "",
              quotaUnit: quota?.unit ?? "GiB",
              imessageRatePerMinute: user.imessageRatePerMinute === null ? "" : String(user.imessageRatePerMinute),
              canMessageOtherRealms: user.canMessageOtherRealms,
              canCreateWorkspaces: user.canCreateWorkspaces,
              canCreateInvites: user.canCreateInvites,
            }}
          />
        </section>
      </div>
      <p className="text-xs text-slate-600">
        Created {formatDate(user.createdAt)} · last sign-in {formatDate(user.lastLoginAt)} · session epoch{" "}
        {user.sessionEpoch}
      </p>
    </div>
  );
}
