// Federation trust on the console's federation page (issue #12): the management server's key
// (give its fingerprint with every enrollment token; rotate with an overlap), the management key
// each realm of this install pinned, and key claims waiting for a decision (lost-key recovery).
import type { PrismaClient } from "../../../lib/generated/prisma/client.ts";
import { listKeyClaims, listManagementKeys, listManagementPins } from "../../../lib/console/federation-trust.ts";
import { formatFingerprint } from "../../../lib/console/fingerprint.ts";
import { decideKeyClaimAction, rotateManagementKeyAction } from "../_actions/admin.ts";
import { ActionButton } from "./action-button.tsx";
import { Badge, formatDate } from "./ui.tsx";

export async function FederationTrust({ prisma }: { prisma: PrismaClient }) {
  const [keys, pins, claims] = await Promise.all([
    listManagementKeys(prisma),
    listManagementPins(prisma),
    listKeyClaims(prisma),
  ]);
  return (
    <>
      {claims.length > 0 ? (
        <section className="card space-y-3" aria-labelledby="claims-heading" data-testid="key-claims">
          <h2 id="claims-heading" className="section-title">
            Key claims waiting for a decision
          </h2>
          <p className="text-sm text-slate-700">
            An enrolled realm presented a key this registry does not know. Nothing changed. Accept only after the
            realm&apos;s operator confirmed the new fingerprint to you by another channel: accepting revokes the
            realm&apos;s current keys at once (lost or stolen key).
          </p>
          <ul className="space-y-3">
            {claims.map((c) => (
              <li key={c.id} className="rounded border border-amber-300 p-3">
                <p className="font-mono text-xs">
                  {c.realmId} · from {c.remoteIp ?? "?"} · address {c.address} · {formatDate(c.createdAt)}
                </p>
                <p className="mt-1 text-xs">Presented key:</p>
                <p className="font-mono text-xs break-all">{formatFingerprint(c.fingerprint)}</p>
                <p className="mt-1 text-xs">Current key(s):</p>
                {c.currentFingerprints.map((f) => (
                  <p key={f} className="font-mono text-xs break-all">
                    {formatFingerprint(f)}
                  </p>
                ))}
                <div className="mt-2 flex gap-2">
                  <ActionButton
                    action={decideKeyClaimAction}
                    fields={{ claimId: c.id, decision: "accept" }}
                    label="Accept new key"
                    variant="danger"
                    confirm={`Make this key the key of ${c.realmId} and revoke its current keys?`}
                  />
                  <ActionButton
                    action={decideKeyClaimAction}
                    fields={{ claimId: c.id, decision: "reject" }}
                    label="Reject"
                  />
                </div>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section className="card space-y-3" aria-labelledby="mkey-heading" data-testid="management-key">
        <h2 id="mkey-heading" className="section-title">
          Management server key
        </h2>
        <p className="text-sm text-slate-700">
          Both management ports run TLS with this key. Give its fingerprint to realm operators with their enrollment
          token (<code>OPENGROOVE_MANAGEMENT_FINGERPRINT</code>) and to users (
          <code>opengroove trust-management host:63746 --fingerprint …</code>).
        </p>
        {keys.length === 0 ? (
          <p className="text-sm text-slate-700">The management daemon makes its key on first start.</p>
        ) : (
          <ul className="space-y-1">
            {keys.map((k, i) => (
              <li key={k.id}>
                <p className="font-mono text-xs break-all">{formatFingerprint(k.fingerprint)}</p>
                <p className="text-xs text-slate-600">
                  since {formatDate(k.validFrom)}
                  {k.validUntil ? ` until ${formatDate(k.validUntil)}` : ""}{" "}
                  {i === 0 ? <Badge tone="green">current</Badge> : <Badge tone="slate">previous</Badge>}
                </p>
              </li>
            ))}
          </ul>
        )}
        <ActionButton
          action={rotateManagementKeyAction}
          fields={{}}
          label="Rotate management key"
          confirm="Make a new management key? The current one stays valid for 24 hours."
        />
        {pins.length > 0 ? (
          <>
            <h3 className="text-sm font-semibold">Management key pinned by this install&apos;s realms</h3>
            <ul className="space-y-1">
              {pins.map((p) => (
                <li key={p.address} className="font-mono text-xs break-all">
                  {p.address}: {formatFingerprint(p.fingerprint)} ({p.source}, {formatDate(p.pinnedAt)})
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>
    </>
  );
}
