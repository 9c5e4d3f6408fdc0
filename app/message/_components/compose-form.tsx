"use client";
// The compose form for /message?to=…: recipient fixed, subject and body editable. Sending from
// the browser needs a signed-in realm session and the realm's WebSocket transport, which are
// not built yet; until then the form says so and offers to hand the message to the app.
import { useMemo, useState } from "react";
import { formatMessageUrl } from "../../../lib/links/opengroove-message-url.ts";

export function ComposeForm({ userId, subject, body }: { userId: string; subject: string; body: string }) {
  const [s, setS] = useState(subject);
  const [b, setB] = useState(body);
  const appLink = useMemo(() => {
    try {
      return formatMessageUrl({ userId }, { subject: s || undefined, body: b || undefined });
    } catch {
      return null;
    }
  }, [userId, s, b]);
  return (
    <form className="space-y-5" onSubmit={(e) => e.preventDefault()} data-testid="compose-form">
      <div>
        <label className="label" htmlFor="to">
          To
        </label>
        <input id="to" className="input font-mono" value={userId} readOnly />
      </div>
      <div>
        <label className="label" htmlFor="subject">
          Subject
        </label>
        <input id="subject" className="input" value={s} maxLength={200} onChange={(e) => setS(e.target.value)} />
      </div>
      <div>
        <label className="label" htmlFor="body">
          Message
        </label>
        <textarea id="body" className="input min-h-40" value={b} maxLength={4000} onChange={(e) => setB(e.target.value)} />
      </div>
      <div className="rounded-lg border border-amber-200 bg-amber-50 p-4 text-sm text-amber-950" role="status" data-testid="send-unavailable">
        <p className="font-semibold">Sending from this page is not available yet</p>
        <p className="mt-1">
          To send from the browser you will sign in with your own realm account; that is still being built. For now, open this message in the OpenGroove app, which keeps the subject and text you typed here.
        </p>
      </div>
      <div className="flex flex-wrap gap-3">
        <button type="submit" className="btn-primary" disabled aria-disabled title="Needs browser sign-in, not available yet">
          Send
        </button>
        {appLink ? (
          <a className="btn-secondary" href={appLink} data-testid="open-in-app">
            Open in the OpenGroove app
          </a>
        ) : (
          <span className="field-error">The subject has a line break or is too long for an app link.</span>
        )}
      </div>
    </form>
  );
}
