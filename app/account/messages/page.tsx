// /account/messages: the browser mailbox, connected to the realm daemon's WebSocket transport.
import type { Metadata } from "next";
import { requireRealmUser } from "../../../lib/account/current-user.ts";
import { realmWsUrlForRequest } from "../../../lib/account/ws-config.ts";
import { AccountShell } from "../_components/account-shell.tsx";
import { Mailbox } from "../_components/mailbox.tsx";

export const metadata: Metadata = { title: "Messages", robots: { index: false } };
export const dynamic = "force-dynamic";

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : "");

export default async function MessagesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireRealmUser("/account/messages");
  const q = await searchParams;
  const wsUrl = await realmWsUrlForRequest(user.realmSlug);
  return (
    <AccountShell user={user} current="messages">
      <div>
        <h1 className="page-title">Messages</h1>
        <p className="mt-1 text-sm text-slate-700">
          Read and send OpenGroove messages from the browser. Messages are stored on your realm until every recipient
          has deleted them.
        </p>
      </div>
      <Mailbox
        wsUrl={wsUrl}
        username={user.username}
        initialTo={one(q.to).slice(0, 600)}
        initialSubject={one(q.subject).slice(0, 200)}
      />
    </AccountShell>
  );
}
