// API tokens for the operator HTTP API (/api/v1, docs/api.md): create (shown once), list, revoke.
// Every operator manages their own; administrators also see and may revoke everyone's.
import type { Metadata } from "next";
import { requireActor } from "../../../../lib/auth/current-actor.ts";
import { db } from "../../../../lib/db/client.ts";
import { apiTokenState, listApiTokens } from "../../../../lib/console/api-tokens.ts";
import { listRealms } from "../../../../lib/console/realms.ts";
import { isAdmin } from "../../../../lib/domain/permissions.ts";
import { revokeApiTokenAction } from "../../_actions/api-tokens.ts";
import { ApiTokenForm } from "../../_components/api-token-form.tsx";
import { Badge, EmptyState, formatDate, PageHeader } from "../../_components/ui.tsx";
import { DataTable, RevokeCell } from "../../_components/data-table.tsx";

export const metadata: Metadata = { title: "API tokens" };

const TONE = { active: "green", revoked: "red", expired: "slate" } as const;

export default async function ApiTokensPage() {
  const actor = await requireActor();
  const prisma = db().prisma;
  const [tokens, realms] = await Promise.all([listApiTokens(prisma, actor), listRealms(prisma, actor)]);
  const realmName = new Map(realms.map((r) => [r.id, r.name]));
  const now = new Date();
  const admin = isAdmin(actor);
  return (
    <div className="space-y-6">
      <PageHeader
        title="API tokens"
        description={
          <>
            Tokens let scripts use the operator API (<code>/api/v1</code>, described at{" "}
            <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>) with <code>Authorization: Bearer …</code>. A token
            can do what you can, never more, and stops working if your account is disabled, loses its role or its
            password changes.
          </>
        }
      />
      <section className="card" aria-labelledby="new-token-heading">
        <h2 id="new-token-heading" className="section-title mb-3">
          New token
        </h2>
        <ApiTokenForm isAdmin={admin} realms={realms.map((r) => ({ id: r.id, name: r.name }))} />
      </section>
      <section aria-labelledby="tokens-heading" className="space-y-3">
        <h2 id="tokens-heading" className="section-title">
          {admin ? "All tokens" : "Your tokens"}
        </h2>
        {tokens.length === 0 ? (
          <EmptyState title="No tokens yet">Create one above for each script or service that needs one.</EmptyState>
        ) : (
          <DataTable
            className="min-w-[44rem]"
            columns={["Name", admin ? "Owner" : null, "Scope", "Created", "Last used", "Expires", "State"]}
            actions
          >
            {tokens.map((t) => {
              const state = apiTokenState(t, now);
              return (
                <tr key={t.id} data-testid="api-token-row">
                  <td>
                    <span className="font-medium">{t.name}</span>{" "}
                    <span className="font-mono text-xs text-slate-600">{t.prefix}…</span>
                  </td>
                  {admin ? <td>{t.operator.username}</td> : null}
                  <td>
                    {t.role === "ADMIN"
                      ? "administrator"
                      : t.realmIds.map((id) => realmName.get(id) ?? id).join(", ") || "—"}
                  </td>
                  <td>{formatDate(t.createdAt)}</td>
                  <td>{t.lastUsedAt ? formatDate(t.lastUsedAt) : "never"}</td>
                  <td>{t.expiresAt ? formatDate(t.expiresAt) : "never"}</td>
                  <td>
                    <Badge tone={TONE[state]}>{state}</Badge>
                  </td>
                  <RevokeCell
                    active={state === "active"}
                    action={revokeApiTokenAction}
                    fields={{ tokenId: t.id }}
                    confirm={`Revoke the token “${t.name}”? Scripts using it stop working at once.`}
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
