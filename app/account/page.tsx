// /account: a realm user's storage (used vs quota, and what uses it), their computers (with
// remove), and the password change.
import type { Metadata } from "next";
import { requireRealmUser } from "../../lib/account/current-user.ts";
import { getAccountOverview } from "../../lib/account/overview.ts";
import { formatBytes } from "../../lib/format/bytes.ts";
import { db } from "../../lib/db/client.ts";
import { formatDate, UsageBar } from "../console/_components/ui.tsx";
import { AccountShell } from "./_components/account-shell.tsx";
import { ComputerList } from "./_components/computer-list.tsx";
import { PasswordForm } from "./_components/password-form.tsx";
import { DeleteAccountForm } from "./_components/delete-account-form.tsx";

export const metadata: Metadata = { title: "Your account", robots: { index: false } };
export const dynamic = "force-dynamic";

export default async function AccountPage() {
  const user = await requireRealmUser("/account");
  const overview = await getAccountOverview(db().pool, user.userId);
  if (!overview) return null;
  const q = overview.quotas;
  const free = q.quotaBytes > q.bytesUsed ? q.quotaBytes - q.bytesUsed : 0n;
  const parts = [
    {
      label: "Messages waiting for their recipients",
      bytes: q.messageBytes,
      id: "messages",
      hint: "Messages you sent count until every recipient has deleted them (or the realm’s retention ends).",
    },
    {
      label: "Workspace changes",
      bytes: q.workspaceBytes,
      id: "workspaces",
      hint: "Changes you wrote to shared workspaces.",
    },
    { label: "Settings", bytes: q.settingsBytes, id: "settings", hint: "Settings your apps store on the realm." },
  ];
  return (
    <AccountShell user={user} current="account">
      <h1 className="page-title">Your account</h1>
      <section aria-labelledby="storage-heading" className="card space-y-4">
        <h2 id="storage-heading" className="section-title">
          Storage
        </h2>
        <UsageBar used={q.bytesUsed} limit={q.quotaBytes} label="Storage used" />
        <p className="text-sm text-slate-700" data-testid="storage-summary">
          {formatBytes(q.bytesUsed)} of {formatBytes(q.quotaBytes)} used, {formatBytes(free)} free.
        </p>
        <table className="w-full text-sm" data-testid="storage-breakdown">
          <caption className="sr-only">What uses your storage</caption>
          <thead>
            <tr className="border-b border-slate-200 text-left text-slate-600">
              <th scope="col" className="py-2 font-medium">
                Used by
              </th>
              <th scope="col" className="py-2 text-right font-medium">
                Size
              </th>
            </tr>
          </thead>
          <tbody>
            {parts.map((p) => (
              <tr key={p.id} className="border-b border-slate-100" data-testid={`storage-${p.id}`}>
                <th scope="row" className="py-2 pr-4 text-left font-normal">
                  {p.label}
                  <span className="block text-xs text-slate-600">{p.hint}</span>
                </th>
                <td className="py-2 text-right font-mono whitespace-nowrap">{formatBytes(p.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="computers-heading" className="card space-y-4">
        <div>
          <h2 id="computers-heading" className="section-title">
            Computers
          </h2>
          <p className="mt-1 text-sm text-slate-700">
            {q.computers} of {q.maxComputers} allowed. Each app you sign in from is a computer; the browser mailbox is
            the computer “web”. Removing a computer signs it out and deletes the messages that were waiting for it.
          </p>
        </div>
        <ComputerList
          computers={overview.computers.map((c) => ({
            name: c.name,
            online: c.online,
            added: formatDate(c.createdAt),
            lastSeen: formatDate(c.lastSeenAt),
          }))}
        />
      </section>

      <section aria-labelledby="password-heading" className="card space-y-4">
        <h2 id="password-heading" className="section-title">
          Change password
        </h2>
        <p className="text-sm text-slate-700">
          For this website and every OpenGroove app. Apps that are signed in stay signed in.
        </p>
        <PasswordForm />
      </section>

      <section aria-labelledby="data-heading" className="card space-y-4">
        <h2 id="data-heading" className="section-title">
          Your data
        </h2>
        <p className="text-sm text-slate-700">
          Download everything this realm holds for you: profile, settings, computers, workspace memberships and the
          messages waiting here (yours and those sent to you), as one archive.
        </p>
        <a href="/account/export" className="btn-secondary" download>
          Download my data
        </a>
        <h3 className="section-title pt-2">Delete my account</h3>
        <p className="text-sm text-slate-700">
          Deletes your account for good: your messages still waiting here are retracted, you leave every workspace and
          your storage is released. Download your data first if you want to keep it.
        </p>
        <DeleteAccountForm username={user.username} />
      </section>
    </AccountShell>
  );
}
