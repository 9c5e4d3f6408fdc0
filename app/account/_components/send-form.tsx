"use client";
// Compose and send a message from the browser through the realm's WebSocket transport, in the
// CLI's envelope (subject + text, or a file), end-to-end encrypted in the page for every computer
// of the recipient (client/mailbox/mailbox-secure.ts). With an open mailbox it sends on that
// connection; without one (the /message page) it asks for the password, sends, and disconnects.
// A recipient computer without a key is refused unless the sender ticks "send unencrypted".
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { encodeEnvelope } from "../../../lib/envelope.ts";
import { explainRealmError, RealmError, type QueuedNote } from "../../../lib/account/mailbox-client.ts";
import { openSecureMailbox, sendSecure, type SecureMailbox } from "../../../client/mailbox/mailbox-secure.ts";
import { describeKeyChange } from "../../../client/sdk/crypto/known-keys.ts";
import { E2EError } from "../../../client/sdk/crypto/recipients.ts";

export type MailboxSession = SecureMailbox;

interface Props {
  wsUrl: string;
  username: string;
  session?: MailboxSession | null;
  initialTo?: string;
  lockedTo?: boolean;
  initialSubject?: string;
  initialBody?: string;
  onSent?: (messageId: string, to: string) => void;
}

type Outcome = { ok: true; text: string } | { ok: false; text: string; field?: "to" | "body" | "password" } | null;

/** "some text" -> "Some text." */
const sentence = (t: string) => `${t.charAt(0).toUpperCase()}${t.slice(1).replace(/\.?$/, ".")}`;

const USER_ID = /^.+:\d{1,5}::[^\s:]+$/u;

export function SendForm({
  wsUrl,
  username,
  session,
  initialTo = "",
  lockedTo = false,
  initialSubject = "",
  initialBody = "",
  onSent,
}: Props) {
  const p = useId();
  const [to, setTo] = useState(initialTo);
  const [subject, setSubject] = useState(initialSubject);
  const [body, setBody] = useState(initialBody);
  const [file, setFile] = useState<File | null>(null);
  const [fileKey, setFileKey] = useState(0);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [offerPlaintext, setOfferPlaintext] = useState(false);
  const [plaintext, setPlaintext] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  // A field error takes the focus to that field, so it is read out and in view.
  useEffect(() => {
    if (outcome && !outcome.ok && outcome.field)
      formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [outcome]);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const passwordInput = form.elements.namedItem("password") as HTMLInputElement | null;
    const recipient = to.trim();
    if (!USER_ID.test(recipient))
      return setOutcome({
        ok: false,
        field: "to",
        text: "Enter a user id: the realm’s host:port, “::”, then the username.",
      });
    if (!file && !body.trim())
      return setOutcome({ ok: false, field: "body", text: "Write a message or choose a file." });
    if (!session && !passwordInput?.value)
      return setOutcome({ ok: false, field: "password", text: "Enter your password to send." });
    setBusy(true);
    setOutcome(null);
    let own: MailboxSession | null = null;
    try {
      const envelope = file
        ? encodeEnvelope(
            {
              subject: subject.trim() || undefined,
              filename: file.name,
              contentType: file.type || "application/octet-stream",
            },
            new Uint8Array(await file.arrayBuffer()),
          )
        : encodeEnvelope(
            { subject: subject.trim() || undefined, contentType: "text/plain; charset=utf-8" },
            new TextEncoder().encode(body),
          );
      let use = session ?? null;
      if (!use) {
        own = await openSecureMailbox({ url: wsUrl, username, password: passwordInput?.value ?? "" });
        if (passwordInput) passwordInput.value = "";
        use = own;
      }
      let queued: QueuedNote[] = [];
      const sent = await sendSecure(use, [recipient], envelope, {
        plaintext: offerPlaintext && plaintext,
        onQueued: (q) => (queued = q),
      });
      const changes = sent.keyChanges.map((c) => ` Warning: ${describeKeyChange(c)}.`).join("");
      setOutcome({
        ok: true,
        text:
          (queued.length
            ? `Queued for ${recipient}: ${queued.map((q) => `realm ${q.realmId} could not be reached to check the recipient (${q.reason})`).join("; ")}. It will be delivered when the realm is reachable; if it cannot be, you get a message from the postmaster.`
            : `Sent to ${recipient}${sent.encrypted ? ", end-to-end encrypted" : ", NOT encrypted"}.`) + changes,
      });
      setOfferPlaintext(false);
      setPlaintext(false);
      setBody("");
      setFile(null);
      setFileKey((k) => k + 1);
      onSent?.(sent.id, recipient);
    } catch (err) {
      // A recipient the realm (or the recipient's realm) does not know belongs to the To field.
      const field = err instanceof RealmError && err.status === "NOSUCHUSER" ? "to" : undefined;
      if (err instanceof E2EError && err.code === "NOKEY") {
        // Offered only now, unticked: sending readable by the realm is a choice made knowingly.
        setOfferPlaintext(true);
        setOutcome({
          ok: false,
          text: `Not sent: it cannot be encrypted for ${recipient}. ${sentence(err.message.replace(/send unencrypted with plaintext/, "tick “send without end-to-end encryption” below"))}`,
        });
      } else setOutcome({ ok: false, field, text: explainRealmError(err) });
    } finally {
      own?.socket.close();
      if (passwordInput) passwordInput.value = "";
      setBusy(false);
    }
  }

  const err = (field: "to" | "body" | "password") =>
    outcome && !outcome.ok && outcome.field === field ? outcome.text : null;
  const fieldError = (field: "to" | "body" | "password") => {
    const text = err(field);
    return text ? (
      <p id={`${p}-${field}-error`} className="field-error" role="alert">
        {text}
      </p>
    ) : null;
  };
  return (
    <form ref={formRef} className="space-y-4" onSubmit={submit} noValidate data-testid="send-form" aria-busy={busy}>
      {outcome && (outcome.ok || !outcome.field) ? (
        <p
          role={outcome.ok ? "status" : "alert"}
          className={`rounded-md border px-3 py-2 text-sm ${outcome.ok ? "border-green-300 bg-green-50 text-green-900" : "border-red-300 bg-red-50 text-red-800"}`}
          data-testid="send-result"
        >
          {outcome.text}
        </p>
      ) : null}
      <div>
        <label className="label" htmlFor={`${p}-to`}>
          To
        </label>
        <input
          id={`${p}-to`}
          className="input font-mono"
          value={to}
          readOnly={lockedTo}
          onChange={(e) => setTo(e.target.value)}
          placeholder="example.com:63745::alice"
          aria-invalid={err("to") ? true : undefined}
          aria-describedby={err("to") ? `${p}-to-error` : undefined}
          required
        />
        {fieldError("to")}
      </div>
      <div>
        <label className="label" htmlFor={`${p}-subject`}>
          Subject
        </label>
        <input
          id={`${p}-subject`}
          className="input"
          value={subject}
          maxLength={200}
          onChange={(e) => setSubject(e.target.value)}
        />
      </div>
      <div>
        <label className="label" htmlFor={`${p}-body`}>
          Message
        </label>
        <textarea
          id={`${p}-body`}
          className="input min-h-32"
          value={body}
          maxLength={100_000}
          disabled={!!file}
          onChange={(e) => setBody(e.target.value)}
          aria-invalid={err("body") ? true : undefined}
          aria-describedby={err("body") ? `${p}-body-error` : undefined}
        />
        {fieldError("body")}
      </div>
      <div>
        <label className="label" htmlFor={`${p}-file`}>
          Or send a file instead (optional)
        </label>
        <input
          key={fileKey}
          id={`${p}-file`}
          type="file"
          className="text-sm"
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
      </div>
      {offerPlaintext ? (
        <div className="flex items-start gap-2 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm">
          <input
            id={`${p}-plaintext`}
            type="checkbox"
            className="mt-1"
            checked={plaintext}
            onChange={(e) => setPlaintext(e.target.checked)}
          />
          <label htmlFor={`${p}-plaintext`}>Send it without end-to-end encryption (the realm can read it)</label>
        </div>
      ) : null}
      {session ? null : (
        <div>
          <label className="label" htmlFor={`${p}-password`}>
            Your password
          </label>
          <input
            id={`${p}-password`}
            name="password"
            type="password"
            className="input"
            autoComplete="current-password"
            aria-invalid={err("password") ? true : undefined}
            aria-describedby={`${p}-password-hint${err("password") ? ` ${p}-password-error` : ""}`}
          />
          <p id={`${p}-password-hint`} className="hint">
            Sent only to your realm server to send this message from the browser (as a computer of yours, “web”, with a
            key kept in this browser that encrypts the message); not stored.
          </p>
          {fieldError("password")}
        </div>
      )}
      <button type="submit" className="btn-primary" disabled={busy} aria-disabled={busy}>
        {busy ? "Sending…" : "Send"}
      </button>
    </form>
  );
}
