// Help documents of a realm (listhelpdocuments / gethelpdocument on the protocol): list, edit,
// create, delete.
import type { Metadata } from "next";
import Link from "next/link";
import { db } from "../../../../../../lib/db/client.ts";
import { listHelpDocumentsForConsole } from "../../../../../../lib/console/help-documents.ts";
import { formatBytes } from "../../../../../../lib/format/bytes.ts";
import { deleteHelpDocumentAction } from "../../../../_actions/help-documents.ts";
import { ActionButton } from "../../../../_components/action-button.tsx";
import { HelpDocumentForm } from "../../../../_components/help-document-form.tsx";
import { EmptyState, formatDate } from "../../../../_components/ui.tsx";
import { DataTable } from "../../../../_components/data-table.tsx";
import { loadRealm } from "../../../../_lib/load-realm.ts";

export const metadata: Metadata = { title: "Help documents" };

export default async function HelpDocumentsPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<{ path?: string }>;
}) {
  const { slug } = await params;
  const { path: editPath } = await searchParams;
  const { realm } = await loadRealm(slug);
  const docs = await listHelpDocumentsForConsole(db().prisma, realm.id);
  const editing = editPath ? docs.find((d) => d.path === editPath) : undefined;
  const base = `/console/realms/${realm.slug}/help`;
  return (
    <div className="space-y-6">
      <section aria-labelledby="help-list-heading" className="space-y-3">
        <h2 id="help-list-heading" className="section-title">
          Help documents
        </h2>
        <p className="text-sm text-slate-700">
          Clients list these with <code>listhelpdocuments</code> and show them with <code>gethelpdocument</code>.
        </p>
        {docs.length === 0 ? (
          <EmptyState title="No help documents yet">Write the first one below, e.g. /getting-started.</EmptyState>
        ) : (
          <DataTable className="min-w-[36rem]" columns={["Path", "Size", "Updated"]} actions>
            {docs.map((d) => (
              <tr key={d.path} data-testid="help-row">
                <td className="font-mono text-sm">{d.path}</td>
                <td>{formatBytes(Buffer.byteLength(d.body))}</td>
                <td>{formatDate(d.updatedAt)}</td>
                <td className="flex flex-wrap items-start gap-2">
                  <Link href={`${base}?path=${encodeURIComponent(d.path)}`} className="btn-secondary">
                    Edit<span className="sr-only"> {d.path}</span>
                  </Link>
                  <ActionButton
                    action={deleteHelpDocumentAction}
                    fields={{ realmId: realm.id, path: d.path }}
                    label="Delete"
                    variant="danger"
                    confirm={`Delete the help document ${d.path}?`}
                  />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
      <section className="card" aria-labelledby="help-edit-heading">
        <h2 id="help-edit-heading" className="section-title mb-3">
          {editing ? `Edit ${editing.path}` : "New help document"}
        </h2>
        {editing ? (
          <p className="mb-3 text-sm">
            <Link href={base}>Write a new document instead</Link>
          </p>
        ) : null}
        <HelpDocumentForm realmId={realm.id} path={editing?.path} body={editing?.body} />
      </section>
    </div>
  );
}
