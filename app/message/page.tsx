// /message?to=<user id or opengroovemessage:// link>[&subject=…&body=…]: a compose form for a
// message to that user. Without a valid recipient it explains the problem and asks for one.
// A signed-in realm user sends from here through their realm's WebSocket transport; anyone
// else is offered to sign in, or to open the message in the OpenGroove app.
import type { Metadata } from "next";
import Link from "next/link";
import { currentRealmUser } from "../../lib/account/current-user.ts";
import { realmWsUrlForRequest } from "../../lib/account/ws-config.ts";
import { DomainError } from "../../lib/domain/errors.ts";
import { parseMessageTarget, type MessageLink } from "../../lib/links/opengroove-message-url.ts";
import { Notice, PublicPage } from "../signup/_components/ui.tsx";
import { SendForm } from "../account/_components/send-form.tsx";
import { ComposeForm } from "./_components/compose-form.tsx";

export const metadata: Metadata = { title: "Write a message", robots: { index: false } };
export const dynamic = "force-dynamic";

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : "");

export default async function MessagePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const q = await searchParams;
  const to = one(q.to);
  let target: MessageLink | null = null;
  let problem = "";
  if (to) {
    try {
      target = parseMessageTarget(to);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      problem = e.message;
    }
  }

  if (!target)
    return (
      <PublicPage title="Write a message" subtitle="Send a message to anyone on an OpenGroove realm.">
        {problem ? (
          <Notice tone="error" title="This recipient cannot be used" testId="bad-recipient">
            <p>{problem}</p>
          </Notice>
        ) : null}
        <form method="get" action="/message" className="card space-y-4">
          <div>
            <label className="label" htmlFor="to">
              Recipient
            </label>
            <input
              id="to"
              name="to"
              className="input font-mono"
              defaultValue={to}
              placeholder="example.com:63745::alice"
              required
            />
            <p className="hint">
              A user id (realm host:port, then “::”, then the username) or an opengroovemessage:// link.
            </p>
          </div>
          <button type="submit" className="btn-primary">
            Continue
          </button>
        </form>
      </PublicPage>
    );

  const user = await currentRealmUser();
  const subject = one(q.subject) || target.subject || "";
  const body = one(q.body) || target.body || "";
  return (
    <PublicPage
      title={`Message ${target.username}`}
      subtitle={
        <p>
          on the realm <span className="font-mono">{target.realmId}</span>
        </p>
      }
    >
      {user ? (
        <div className="card space-y-3" data-testid="signed-in-compose">
          <p className="text-sm text-slate-700">
            Sending as <span className="font-mono">{user.fullId}</span>.{" "}
            <Link href="/account/messages">Open your messages</Link>
          </p>
          <SendForm
            wsUrl={await realmWsUrlForRequest(user.realmSlug)}
            username={user.username}
            initialTo={target.userId}
            lockedTo
            initialSubject={subject.slice(0, 200)}
            initialBody={body.slice(0, 4000)}
          />
        </div>
      ) : (
        <div className="card">
          <ComposeForm
            userId={target.userId}
            subject={subject.slice(0, 200)}
            body={body.slice(0, 4000)}
            signInHref={`/account/sign-in?next=${encodeURIComponent(`/message?${new URLSearchParams({ to, ...(subject ? { subject } : {}) }).toString()}`)}`}
          />
        </div>
      )}
      <p className="text-sm text-slate-600">
        Want people to reach you like this?{" "}
        <Link href={`/message/link?user=${encodeURIComponent(target.userId)}`}>Make your own “message me” link</Link>.
      </p>
    </PublicPage>
  );
}
