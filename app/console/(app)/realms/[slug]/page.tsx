// One realm's settings, current warnings (cap / quota below use) and its keys.
import type { Metadata } from "next";
import { db } from "../../../../../lib/db/client.ts";
import { usageWarnings } from "../../../../../lib/console/realms.ts";
import { formatFingerprint } from "../../../../../lib/console/fingerprint.ts";
import { canChangeRealmStatus, canManageFederation } from "../../../../../lib/domain/permissions.ts";
import { rotateRealmKeyAction } from "../../../_actions/admin.ts";
import { ActionButton } from "../../../_components/action-button.tsx";
import { Warnings } from "../../../_components/form-result.tsx";
import { RealmForm } from "../../../_components/realm-form.tsx";
import { Badge, formatDate } from "../../../_components/ui.tsx";
import { loadRealm } from "../../../_lib/load-realm.ts";
import { realmFormValues } from "../../../_lib/realm-form-values.ts";

export const metadata: Metadata = { title: "Realm settings" };

export default async function RealmSettingsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { actor, realm } = await loadRealm(slug);
  const prisma = db().prisma;
  const [warnings, keys] = await Promise.all([
    usageWarnings(prisma, realm),
    prisma.realmKey.findMany({ where: { realmId: realm.id }, orderBy: { validFrom: "desc" } }),
  ]);
  return (
    <div className="space-y-6">
      {warnings.length ? <Warnings items={warnings} title="Limits below current use" /> : null}
      <section className="card" aria-label="Settings">
        <RealmForm
          mode="edit"
          initial={realmFormValues(realm)}
          canChangeStatus={canChangeRealmStatus(actor, realm.id)}
        />
      </section>
      <section className="card" aria-labelledby="keys-heading">
        <h2 id="keys-heading" className="section-title">
          Realm keys
        </h2>
        <p className="mt-1 text-sm text-slate-700">
          The realm daemon creates and rotates its key pair; clients check the TLS fingerprint published by the
          management server.
        </p>
        {canManageFederation(actor) && realm.status === "ACTIVE" ? (
          <div className="mt-3">
            <ActionButton
              action={rotateRealmKeyAction}
              fields={{ realmId: realm.id }}
              label="Rotate key"
              confirm="Make a new key pair for this realm? The current key stays valid for 24 hours."
            />
          </div>
        ) : null}
        {keys.length === 0 ? (
          <p className="mt-3 text-sm text-slate-700">
            No key yet: the realm daemon creates one when it first serves this realm.
          </p>
        ) : (
          <ul className="mt-3 space-y-3">
            {keys.map((k) => (
              <li key={k.id} className="rounded-md border border-slate-200 p-3 text-sm">
                <div className="flex flex-wrap items-center gap-2">
                  <span className="font-medium">{k.algorithm}</span>
                  {k.revokedAt ? (
                    <Badge tone="red">revoked {formatDate(k.revokedAt)}</Badge>
                  ) : k.validUntil && k.validUntil <= new Date() ? (
                    <Badge tone="slate">expired {formatDate(k.validUntil)}</Badge>
                  ) : k.validUntil ? (
                    <Badge tone="amber">retiring, valid until {formatDate(k.validUntil)}</Badge>
                  ) : (
                    <Badge tone="green">current</Badge>
                  )}
                  <span className="text-xs text-slate-600">from {formatDate(k.validFrom)}</span>
                </div>
                <p className="mt-1 font-mono text-xs break-all">Key {formatFingerprint(k.fingerprint)}</p>
                <p className="font-mono text-xs break-all">TLS {formatFingerprint(k.tlsFingerprint)}</p>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
