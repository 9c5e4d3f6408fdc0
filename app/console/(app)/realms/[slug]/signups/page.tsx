// The per-address signup throttle of a realm: which addresses used how many of their attempts in
// the current window, how many remain and until when, and a reset per address (audited), e.g.
// for an office behind one address. Invite signups do not count (an invite is its own limit).
import type { Metadata } from "next";
import { db } from "../../../../../../lib/db/client.ts";
import { listSignupThrottles, throttleSettingsFromEnv } from "../../../../../../lib/domain/signup-throttle.ts";
import { resetSignupThrottleAction } from "../../../../_actions/onboarding.ts";
import { ActionButton } from "../../../../_components/action-button.tsx";
import { Badge, EmptyState, formatDate } from "../../../../_components/ui.tsx";
import { DataTable } from "../../../../_components/data-table.tsx";
import { loadRealm } from "../../../../_lib/load-realm.ts";

export const metadata: Metadata = { title: "Signup throttle" };
export const dynamic = "force-dynamic";

export default async function SignupThrottlePage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { realm } = await loadRealm(slug);
  const settings = throttleSettingsFromEnv();
  const rows = await listSignupThrottles(db().prisma, realm.id, settings);
  const minutes = settings.windowSeconds / 60;
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-700">
        Each address may try to sign up on this realm {settings.limit} time{settings.limit === 1 ? "" : "s"} per{" "}
        {minutes} minute{minutes === 1 ? "" : "s"} (<code>OPENGROOVE_SIGNUP_LIMIT</code>,{" "}
        <code>OPENGROOVE_SIGNUP_WINDOW_MINUTES</code>). Signups with an invite are not counted. Resetting an address
        lets it try again at once.
      </p>
      {rows.length === 0 ? (
        <EmptyState title="No recent signup attempts">
          No address has tried to sign up in the current window.
        </EmptyState>
      ) : (
        <DataTable className="min-w-[36rem]" columns={["Address", "Attempts", "Remaining", "Window ends"]} actions>
          {rows.map((r) => (
            <tr key={r.address} data-testid="throttle-row">
              <td className="font-mono break-all">{r.address}</td>
              <td>
                {r.attempts} / {r.limit}
              </td>
              <td>{r.throttled ? <Badge tone="red">throttled</Badge> : r.remaining}</td>
              <td>{formatDate(r.until)}</td>
              <td>
                <ActionButton
                  action={resetSignupThrottleAction}
                  fields={{ realmId: realm.id, address: r.address }}
                  label="Reset"
                  confirm={`Forget the signup attempts of ${r.address} on ${realm.name}?`}
                />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  );
}
