// The management server's realm registry (administrators): registered realms with key
// fingerprints, approve / revoke, key revocation, enrollment tokens.
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { requireActor } from "../../../../lib/auth/current-actor.ts";
import { db } from "../../../../lib/db/client.ts";
import { listEnrollmentTokens, listKnownRealms, tokenState } from "../../../../lib/console/federation.ts";
import { formatFingerprint } from "../../../../lib/console/fingerprint.ts";
import { canManageFederation } from "../../../../lib/domain/permissions.ts";
import {
  revokeEnrollmentTokenAction,
  revokeKnownRealmKeyAction,
  setKnownRealmStatusAction,
} from "../../_actions/admin.ts";
import { ActionButton } from "../../_components/action-button.tsx";
import { EnrollmentTokenForm } from "../../_components/token-form.tsx";
import { FederationTrust } from "../../_components/federation-trust.tsx";
import { Badge, EmptyState, formatDate, PageHeader } from "../../_components/ui.tsx";
import { DataTable, RevokeCell } from "../../_components/data-table.tsx";

export const metadata: Metadata = { title: "Federation" };

const STATUS_TONE = { APPROVED: "green", PENDING: "amber", REVOKED: "red" } as const;
const TOKEN_TONE = { unused: "green", used: "blue", expired: "slate" } as const;

export default async function FederationPage() {
  const actor = await requireActor();
  if (!canManageFederation(actor)) notFound();
  const prisma = db().prisma;
  const [realms, tokens] = await Promise.all([listKnownRealms(prisma), listEnrollmentTokens(prisma)]);
  const now = new Date();
  return (
    <>
      <PageHeader
        title="Federation"
        description="Realms registered with the management server, their keys, and tokens that let a new realm enroll."
      />
      <div className="space-y-6">
        <FederationTrust prisma={prisma} />
        <section aria-labelledby="known-heading" className="space-y-3">
          <h2 id="known-heading" className="section-title">
            Registered realms
          </h2>
          {realms.length === 0 ? (
            <EmptyState title="No realm has enrolled yet">
              Create an enrollment token below and give it to the realm's operator.
            </EmptyState>
          ) : (
            <ul className="space-y-4">
              {realms.map((r) => (
                <li key={r.realmId} className="card" data-testid="known-realm">
                  <div className="flex flex-wrap items-start justify-between gap-3">
                    <div>
                      <p className="font-semibold">
                        {r.name} <Badge tone={STATUS_TONE[r.status]}>{r.status.toLowerCase()}</Badge>
                      </p>
                      <p className="font-mono text-xs text-slate-600">
                        {r.realmId} · address {r.address}
                      </p>
                      <p className="text-xs text-slate-600">
                        Enrolled {formatDate(r.enrolledAt)} · last heartbeat {formatDate(r.lastHeartbeatAt)}
                      </p>
                    </div>
                    <div className="flex flex-wrap gap-2">
                      {r.status !== "APPROVED" ? (
                        <ActionButton
                          action={setKnownRealmStatusAction}
                          fields={{ realmId: r.realmId, status: "APPROVED" }}
                          label="Approve"
                          variant="primary"
                        />
                      ) : null}
                      {r.status !== "REVOKED" ? (
                        <ActionButton
                          action={setKnownRealmStatusAction}
                          fields={{ realmId: r.realmId, status: "REVOKED" }}
                          label="Revoke"
                          variant="danger"
                          confirm={`Revoke ${r.realmId}? Other realms stop trusting it.`}
                        />
                      ) : null}
                    </div>
                  </div>
                  <h3 className="mt-3 text-sm font-semibold">Keys</h3>
                  {r.keys.length === 0 ? (
                    <p className="text-sm text-slate-700">No key registered.</p>
                  ) : (
                    <ul className="mt-1 space-y-2">
                      {r.keys.map((k) => (
                        <li
                          key={k.id}
                          className="flex flex-wrap items-center justify-between gap-2 rounded border border-slate-200 p-2"
                        >
                          <div>
                            <p className="font-mono text-xs break-all">{formatFingerprint(k.fingerprint)}</p>
                            <p className="text-xs text-slate-600">
                              valid from {formatDate(k.validFrom)}
                              {k.validUntil ? ` until ${formatDate(k.validUntil)}` : ""}{" "}
                              {k.revokedAt ? <Badge tone="red">revoked</Badge> : <Badge tone="green">active</Badge>}
                            </p>
                          </div>
                          {!k.revokedAt ? (
                            <ActionButton
                              action={revokeKnownRealmKeyAction}
                              fields={{ keyId: k.id }}
                              label="Revoke key"
                              variant="danger"
                              confirm="Revoke this key? Connections signed with it are refused."
                            />
                          ) : null}
                        </li>
                      ))}
                    </ul>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="token-heading">
          <h2 id="token-heading" className="section-title mb-3">
            Enrollment tokens
          </h2>
          <EnrollmentTokenForm />
          {tokens.length === 0 ? (
            <p className="mt-4 text-sm text-slate-700">No tokens created yet.</p>
          ) : (
            <DataTable
              className="min-w-[36rem]"
              frameClassName="mt-4 overflow-x-auto"
              columns={["Created", "By", "Realm", "Expires", "State"]}
              actions
            >
              {tokens.map((t) => {
                const st = tokenState(t, now);
                return (
                  <tr key={t.id}>
                    <td>{formatDate(t.createdAt)}</td>
                    <td>{t.createdBy}</td>
                    <td className="font-mono text-xs">{t.realmId ?? "any"}</td>
                    <td>{formatDate(t.expiresAt)}</td>
                    <td>
                      <Badge tone={TOKEN_TONE[st]}>{st}</Badge>
                    </td>
                    <RevokeCell
                      active={st === "unused"}
                      action={revokeEnrollmentTokenAction}
                      fields={{ tokenId: t.id }}
                    />
                  </tr>
                );
              })}
            </DataTable>
          )}
        </section>
      </div>
    </>
  );
}
