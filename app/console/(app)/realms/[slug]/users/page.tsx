// A realm's users: prefix search on the case-folded username with keyset pages (fast at any size).
import type { Metadata } from "next";
import Link from "next/link";
import { db } from "../../../../../../lib/db/client.ts";
import { formatBytes } from "../../../../../../lib/format/bytes.ts";
import { countUsersWithPrefix, searchUsers } from "../../../../../../lib/console/users.ts";
import { CreateUserForm } from "../../../../_components/create-user-form.tsx";
import { Badge, EmptyState, formatDate } from "../../../../_components/ui.tsx";
import { DataTable } from "../../../../_components/data-table.tsx";
import { loadRealm } from "../../../../_lib/load-realm.ts";

export const metadata: Metadata = { title: "Users" };

type Search = { q?: string; after?: string; before?: string };
const one = (v: unknown) => (typeof v === "string" ? v.slice(0, 200) : undefined);

export default async function UsersPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<Search>;
}) {
  const { slug } = await params;
  const sp = await searchParams;
  const q = one(sp.q) ?? "";
  const { realm } = await loadRealm(slug);
  const prisma = db().prisma;
  const [page, matching] = await Promise.all([
    searchUsers(prisma, realm.id, { query: q, after: one(sp.after), before: one(sp.before), limit: 50 }),
    countUsersWithPrefix(prisma, realm.id, q),
  ]);
  const base = `/console/realms/${realm.slug}/users`;
  const link = (cursor: Record<string, string>) => `${base}?${new URLSearchParams({ ...(q ? { q } : {}), ...cursor })}`;
  return (
    <div className="space-y-4">
      <NewUserSection realmId={realm.id} />
      <form method="get" action={base} role="search" className="flex flex-col gap-2 sm:flex-row sm:items-end">
        <div className="flex-1">
          <label htmlFor="user-search" className="label">
            Find users by name
          </label>
          <input
            id="user-search"
            name="q"
            type="search"
            defaultValue={q}
            placeholder="Start of a username"
            className="input"
            aria-describedby="user-search-hint"
          />
          <p id="user-search-hint" className="hint">
            Matches the beginning of the username, ignoring case.
          </p>
        </div>
        <button type="submit" className="btn-primary sm:mb-5">
          Search
        </button>
      </form>
      <p className="text-sm text-slate-700" aria-live="polite">
        {q
          ? `${matching.toLocaleString("en")} user${matching === 1 ? "" : "s"} starting with “${q}”`
          : `${matching.toLocaleString("en")} user${matching === 1 ? "" : "s"} in this realm`}
      </p>
      {page.rows.length === 0 ? (
        <EmptyState title={q ? "No user matches" : "No users yet"}>
          {q ? (
            "Try a shorter start of the name."
          ) : realm.registrationMode === "INVITE" ? (
            <Link href={`/console/realms/${realm.slug}/invites`}>Create an invite</Link>
          ) : (
            "People appear here after they sign up."
          )}
        </EmptyState>
      ) : (
        <DataTable className="min-w-[40rem]" columns={["Username", "Status", "Storage used", "Quota", "Last sign-in"]}>
          {page.rows.map((u) => {
            const quota = u.quotaBytes ?? realm.defaultQuotaBytes;
            return (
              <tr key={u.id}>
                <td>
                  <Link href={`${base}/${u.id}`} className="font-medium">
                    {u.username}
                  </Link>
                </td>
                <td>
                  {u.status === "ACTIVE" ? <Badge tone="green">Active</Badge> : <Badge tone="red">Suspended</Badge>}
                </td>
                <td className={u.bytesUsed > quota ? "font-semibold text-red-800" : undefined}>
                  {formatBytes(u.bytesUsed)}
                </td>
                <td>
                  {formatBytes(quota)}
                  {u.quotaBytes !== null ? <span className="text-xs text-slate-600"> (override)</span> : null}
                </td>
                <td>{formatDate(u.lastLoginAt)}</td>
              </tr>
            );
          })}
        </DataTable>
      )}
      <nav aria-label="Pages" className="flex justify-between">
        {page.prevBefore ? (
          <Link href={link({ before: page.prevBefore })} className="btn-secondary" rel="prev">
            ← Previous
          </Link>
        ) : (
          <span />
        )}
        {page.nextAfter ? (
          <Link href={link({ after: page.nextAfter })} className="btn-secondary" rel="next">
            Next →
          </Link>
        ) : null}
      </nav>
    </div>
  );
}

function NewUserSection({ realmId }: { realmId: string }) {
  return (
    <details className="card" data-testid="new-user">
      <summary className="section-title cursor-pointer">New user</summary>
      <p className="mt-2 mb-3 text-sm text-slate-700">
        Creates the account at once, whatever the realm&apos;s registration mode, and gives you a one-time link where
        the person chooses their password.
      </p>
      <CreateUserForm realmId={realmId} />
    </details>
  );
}
