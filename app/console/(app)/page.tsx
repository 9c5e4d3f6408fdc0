// Dashboard: every visible realm with users / cap, storage, messages waiting, computers online
// and federation status; a storage chart per realm and the biggest users. Connections and queue
// sizes are pushed live over server-sent events (/console/live, _components/live-figures.tsx);
// the rest is as of the page's rendering. On a phone the realm table becomes cards.
import type { Metadata } from "next";
import Link from "next/link";
import { requireActor } from "../../../lib/auth/current-actor.ts";
import { db } from "../../../lib/db/client.ts";
import { biggestUsers, liveDaemons, realmStats, type RealmStats } from "../../../lib/console/dashboard.ts";
import { LIVE_HEARTBEAT_SECONDS } from "../../../lib/console/users.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { canCreateRealm } from "../../../lib/domain/permissions.ts";
import { backupStatus, type BackupStatus } from "../../../lib/backup/runs.ts";
import { readLiveFigures } from "../../../lib/console/live-figures.ts";
import { LiveCount, LiveFigures, LiveOnlineTotal, LiveStatus } from "../_components/live-figures.tsx";
import { realmListenErrors } from "../../../lib/domain/listen-errors.ts";
import { Badge, EmptyState, NewRealmButton, PageHeader, UsageBar } from "../_components/ui.tsx";

export const metadata: Metadata = { title: "Dashboard" };

const FED_TONE = { APPROVED: "green", PENDING: "amber", REVOKED: "red" } as const;

function StorageChart({ realms }: { realms: RealmStats[] }) {
  const max = Math.max(1, ...realms.map((r) => Number(r.storageUsed)));
  return (
    <figure className="card">
      <figcaption className="section-title">Storage used per realm</figcaption>
      <ul className="mt-4 space-y-3">
        {realms.map((r) => (
          <li key={r.id} className="grid grid-cols-[8rem_1fr_6rem] items-center gap-3 text-sm">
            <span className="truncate font-medium">{r.name}</span>
            <span className="h-4 rounded bg-slate-100" aria-hidden="true">
              <span
                className="block h-4 rounded bg-brand-600"
                style={{ width: `${(Number(r.storageUsed) / max) * 100}%`, minWidth: r.storageUsed > 0n ? "2px" : 0 }}
              />
            </span>
            <span className="text-right tabular-nums">{formatBytes(r.storageUsed)}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** The last backup run, one phrase (docs/operations.md). */
function describeBackup(b: BackupStatus): string {
  if (!b.last) return "last backup: none recorded";
  const at = b.last.finishedAt.toISOString().replace("T", " ").slice(0, 16) + " UTC";
  if (b.last.ok) return `last backup: ${at}, OK (${formatBytes(b.last.bytes)})`;
  const good = b.lastSuccessAt ? `; last good ${b.lastSuccessAt.toISOString().slice(0, 16).replace("T", " ")} UTC` : "";
  return `last backup: ${at}, FAILED: ${b.last.error ?? "unknown error"}${good}`;
}

export default async function DashboardPage() {
  const actor = await requireActor();
  const prisma = db().prisma;
  const [realms, big, daemons, backup, live, portErrors] = await Promise.all([
    realmStats(prisma, actor),
    biggestUsers(prisma, actor),
    liveDaemons(prisma),
    backupStatus(db().pool),
    readLiveFigures(db().pool),
    // Realm ports a live realm daemon could not bind (in use): reported with its heartbeat.
    realmListenErrors(db().pool, LIVE_HEARTBEAT_SECONDS * 1000),
  ]);
  const online = realms.reduce((n, r) => n + r.computersOnline, 0);
  return (
    <LiveFigures>
      <PageHeader
        title="Dashboard"
        description={
          <>
            <LiveStatus /> <LiveOnlineTotal initial={online} /> · daemons live:{" "}
            {daemons.length ? daemons.map((d) => `${d.count} ${d.kind}`).join(", ") : "none reporting"} ·{" "}
            <span data-testid="last-backup">{describeBackup(backup)}</span>
          </>
        }
        actions={canCreateRealm(actor) ? <NewRealmButton /> : null}
      />
      {realms.length === 0 ? (
        <EmptyState title="No realms to show">
          {canCreateRealm(actor) ? (
            <Link href="/console/realms/new">Create the first realm</Link>
          ) : (
            "No realm is assigned to you yet; ask an administrator."
          )}
        </EmptyState>
      ) : (
        <div className="space-y-6">
          <section aria-labelledby="realms-heading" className="card overflow-x-auto p-0 sm:p-0">
            <h2 id="realms-heading" className="section-title px-4 pt-4 sm:px-6">
              Realms
            </h2>
            <table className="data-table stack-table mt-2 px-4 sm:min-w-[48rem] sm:px-0">
              <thead>
                <tr>
                  <th scope="col">Realm</th>
                  <th scope="col">Users / cap</th>
                  <th scope="col">Storage used / allocated</th>
                  <th scope="col">Messages waiting</th>
                  <th scope="col">Computers online</th>
                  <th scope="col">Federation</th>
                </tr>
              </thead>
              <tbody>
                {realms.map((r) => (
                  <tr key={r.id} data-testid={`realm-row-${r.slug}`}>
                    <td>
                      <Link href={`/console/realms/${r.slug}`} className="font-medium">
                        {r.name}
                      </Link>
                      <div className="font-mono text-xs text-slate-600">{r.id}</div>
                      {r.status === "DISABLED" ? <Badge tone="red">Disabled</Badge> : null}
                      {portErrors.get(r.id)?.map((e) => (
                        <p
                          key={`${e.host}:${e.port}`}
                          className="mt-1 text-xs font-medium text-red-800"
                          data-testid={`listen-error-${r.slug}`}
                        >
                          <Badge tone="red">Not serving</Badge> port {e.port} is in use on {e.host}; the realm daemon
                          retries every 2 s ({e.error})
                        </p>
                      ))}
                    </td>
                    <td className="sm:w-48" data-label="Users">
                      <UsageBar used={r.userCount} limit={r.userCap} label="Users" format="count" />
                    </td>
                    <td className="sm:w-56" data-label="Storage">
                      <UsageBar used={r.storageUsed} limit={r.storageAllocated} label="Storage" />
                      {r.usersOverQuota > 0 ? (
                        <p className="mt-1 text-xs font-medium text-red-800">{r.usersOverQuota} over quota</p>
                      ) : null}
                    </td>
                    <td data-label="Messages waiting">
                      <LiveCount realmId={r.id} field="messagesWaiting" initial={r.messagesWaiting} />
                      <span className="block text-xs text-slate-600">
                        <LiveCount realmId={r.id} field="outboxQueued" initial={live[r.id]?.outboxQueued ?? 0} /> queued
                        for other realms
                      </span>
                    </td>
                    <td data-label="Computers online">
                      <LiveCount realmId={r.id} field="connections" initial={r.computersOnline} />
                    </td>
                    <td data-label="Federation">
                      {r.federationStatus ? (
                        <Badge tone={FED_TONE[r.federationStatus]}>{r.federationStatus.toLowerCase()}</Badge>
                      ) : (
                        <Badge>not enrolled</Badge>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <div className="grid gap-6 lg:grid-cols-2">
            <StorageChart realms={realms} />
            <section aria-labelledby="big-heading" className="card">
              <h2 id="big-heading" className="section-title">
                Biggest users
              </h2>
              {big.length === 0 ? (
                <p className="mt-3 text-sm text-slate-700">No user stores anything yet.</p>
              ) : (
                <ol className="mt-3 space-y-3">
                  {big.map((u) => (
                    <li key={u.id}>
                      <Link href={`/console/realms/${u.realmSlug}/users/${u.id}`} className="text-sm font-medium">
                        {u.username}
                      </Link>{" "}
                      <span className="text-xs text-slate-600">{u.realmName}</span>
                      <UsageBar used={u.bytesUsed} limit={u.quotaBytes} label="Storage" />
                    </li>
                  ))}
                </ol>
              )}
            </section>
          </div>
        </div>
      )}
    </LiveFigures>
  );
}
