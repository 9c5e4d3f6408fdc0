// The daemon instances sharing this database (administrators): several realm-daemon instances
// can serve one realm address behind a load balancer (docs/scaling.md). Per instance: state
// (live / draining / stale), last heartbeat, the address it advertises per realm, connections
// and signed-in computers, version and start time. As of the page's rendering. A live realm
// instance can be asked to drain (it moves its clients to its peers and exits 0).
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { requireActor } from "../../../../lib/auth/current-actor.ts";
import { db } from "../../../../lib/db/client.ts";
import { listInstances, type InstanceState, type InstanceView } from "../../../../lib/console/instances.ts";
import { canDrainInstances, canViewInstances } from "../../../../lib/domain/permissions.ts";
import { Badge, EmptyState, formatDate, PageHeader } from "../../_components/ui.tsx";
import { ActionButton } from "../../_components/action-button.tsx";
import { drainInstanceAction } from "../../_actions/admin.ts";

export const metadata: Metadata = { title: "Instances" };
export const dynamic = "force-dynamic";

const STATE_TONE = { live: "green", draining: "amber", stale: "red" } as const satisfies Record<InstanceState, string>;
const STATE_HELP: Record<InstanceState, string> = {
  live: "heartbeating; takes connections",
  draining: "moving its clients to peers, then exiting",
  stale: "no recent heartbeat: dead or stuck; a live peer releases its computers and outbox leases",
};

function age(ms: number): string {
  if (ms < 1_000) return `${ms} ms ago`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s ago`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${Math.round(ms / 3_600_000)} h ago`;
}

function InstanceRow({ i, canDrain }: { i: InstanceView; canDrain: boolean }) {
  const addresses = Object.entries(i.addresses);
  return (
    <tr data-testid={`instance-${i.id}`} data-state={i.state}>
      <td data-label="Instance">
        <span className="font-medium">
          {i.host} · pid {i.pid}
        </span>
        <div className="font-mono text-xs text-slate-600">{i.id}</div>
        <div className="text-xs text-slate-600">{i.kind} daemon</div>
      </td>
      <td data-label="State">
        <Badge tone={STATE_TONE[i.state]}>{i.state}</Badge>
        <p className="mt-1 text-xs text-slate-600">{STATE_HELP[i.state]}</p>
        {i.drainRequestedAt ? (
          <p className="mt-1 text-xs text-slate-600" data-testid="drain-requested">
            drain requested {formatDate(i.drainRequestedAt)}
            {i.drainRequestedBy ? ` by ${i.drainRequestedBy}` : ""}
          </p>
        ) : null}
        {canDrain && i.kind === "realm" && i.state === "live" ? (
          <div className="mt-2">
            <ActionButton
              action={drainInstanceAction}
              fields={{ instanceId: i.id }}
              label="Drain"
              variant="danger"
              confirm={`Drain ${i.host} · pid ${i.pid}? Its clients move to the other instances, then it exits (under systemd it stays stopped until started again).`}
            />
          </div>
        ) : null}
      </td>
      <td data-label="Last heartbeat">
        <span data-testid="heartbeat-age">{age(i.heartbeatAgeMs)}</span>
        {i.heartbeatMs ? <div className="text-xs text-slate-600">every {i.heartbeatMs} ms</div> : null}
      </td>
      <td data-label="Addresses">
        {addresses.length === 0 && !i.httpAddress ? <span className="text-slate-600">none advertised</span> : null}
        <ul className="space-y-1">
          {addresses.map(([realm, address]) => (
            <li key={realm} className="text-xs">
              <span className="font-mono">{address}</span> <span className="text-slate-600">({realm})</span>
            </li>
          ))}
          {i.httpAddress ? (
            <li className="text-xs">
              <span className="font-mono">{i.httpAddress}</span>{" "}
              <span className="text-slate-600">(HTTP/WebSocket)</span>
            </li>
          ) : null}
        </ul>
        {i.listenErrors.map((e) => (
          <p key={e.port} className="mt-1 text-xs font-medium text-red-800">
            port {e.port} not bound ({e.error})
          </p>
        ))}
      </td>
      <td data-label="Connections" className="tabular-nums">
        <span data-testid="connections">{i.connections}</span>
        <div className="text-xs text-slate-600">
          {i.computersOnline} computer{i.computersOnline === 1 ? "" : "s"} signed in
        </div>
      </td>
      <td data-label="Version / started">
        <span className="font-mono text-xs">{i.version ?? "unknown"}</span>
        <div className="text-xs text-slate-600">started {formatDate(i.startedAt)}</div>
      </td>
    </tr>
  );
}

export default async function InstancesPage() {
  const actor = await requireActor();
  if (!canViewInstances(actor)) notFound();
  const instances = await listInstances(db().pool);
  const count = (s: InstanceState) => instances.filter((i) => i.state === s).length;
  return (
    <>
      <PageHeader
        title="Instances"
        description={`Daemon processes sharing this database: ${count("live")} live, ${count("draining")} draining, ${count("stale")} stale. Several realm-daemon instances can serve one realm address behind a load balancer (docs/scaling.md).`}
      />
      {instances.length === 0 ? (
        <EmptyState title="No daemon is running">
          Start the realm daemon (and the management daemon) with the same DATABASE_URL as this console.
        </EmptyState>
      ) : (
        <section aria-labelledby="instances-heading" className="card overflow-x-auto p-0 sm:p-0">
          <h2 id="instances-heading" className="section-title px-4 pt-4 sm:px-6">
            Daemon instances
          </h2>
          <table className="data-table stack-table mt-2 px-4 sm:min-w-[56rem] sm:px-0">
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">State</th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Addresses</th>
                <th scope="col">Connections</th>
                <th scope="col">Version / started</th>
              </tr>
            </thead>
            <tbody>
              {instances.map((i) => (
                <InstanceRow key={i.id} i={i} canDrain={canDrainInstances(actor)} />
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
