"use client";
// The compose form for /message?to=… when nobody is signed in: recipient fixed, subject and
// body editable. Sending from the browser needs a realm account session (then the page shows
// the account's send form instead); here the form offers to sign in, or to hand the message
// to the OpenGroove app.
import { useMemo, useState } from "react";
import { formatMessageUrl } from "../../../lib/links/opengroove-message-url.ts";

export function ComposeForm({
  userId,
  subject,
  body,
  signInHref,
}: {
  userId: string;
  subject: string;
  body: string;
  signInHref: string;
}) {
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
        <textarea
          id="body"
          className="input min-h-40"
          value={b}
          maxLength={4000}
          onChange={(e) => setB(e.target.value)}
        />
      </div>
      <div
        className="rounded-lg border border-brand-100 bg-brand-50 p-4 text-sm text-slate-900"
        role="status"
        data-testid="send-unavailable"
      >
        <p className="font-semibold">Sign in to send from this page</p>
        <p className="mt-1">
          Sending from the browser uses your own realm account.{" "}
          <a href={signInHref}>Sign in with your OpenGroove username and password</a>, or open this message in the
          OpenGroove app, which keeps the subject and text you typed here.
        </p>
      </div>
      <div className="flex flex-wrap gap-3">
        <a className="btn-primary" href={signInHref} data-testid="sign-in-to-send">
          Sign in to send
        </a>
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
