"use client";
// The browser mailbox: opens a connection to the realm (password re-entered, never stored),
// lists the messages waiting for the computer "web" with when they arrived, reads them, replies
// (recipient and "Re:" subject filled in), deletes with a few seconds to undo
// (pending-deletes.tsx), sends new ones, and adds arrivals live from `messageavailable`.
// Messages are encrypted and decrypted here in the page with this browser's own computer keys
// (client/mailbox/mailbox-secure.ts): the realm gets only ciphertext.
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { explainRealmError, type MessageSummary } from "../../../lib/account/mailbox-client.ts";
import { describeSecure, openSecureMailbox } from "../../../client/mailbox/mailbox-secure.ts";
import { bytesToText } from "../../../lib/protocol/bytes.ts";
import { InboxList } from "./inbox-list.tsx";
import { MessageView } from "./message-view.tsx";
import { SendForm, type MailboxSession } from "./send-form.tsx";
import { UndoToasts, usePendingDeletes } from "./pending-deletes.tsx";

/** "Re: <subject>", without stacking "Re: Re:". */
export function replySubject(subject: string | undefined): string {
  const s = (subject ?? "").trim();
  return /^re:/i.test(s) ? s : `Re: ${s}`.trim();
}

interface Props {
  wsUrl: string;
  username: string;
  initialTo?: string;
  initialSubject?: string;
}

export function Mailbox({ wsUrl, username, initialTo, initialSubject }: Props) {
  const [session, setSession] = useState<MailboxSession | null>(null);
  const [connecting, setConnecting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [messages, setMessages] = useState<MessageSummary[]>([]);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [live, setLive] = useState("");
  const [draft, setDraft] = useState({ to: initialTo, subject: initialSubject, n: 0 });
  const sessionRef = useRef<MailboxSession | null>(null);
  const composeRef = useRef<HTMLElement>(null);

  const commitDelete = useCallback(async (m: MessageSummary) => {
    const s = sessionRef.current;
    if (!s) return; // the connection closed first: the message stays on the realm
    try {
      await s.socket.deleteMessage(m.id);
      setMessages((list) => list.filter((x) => x.id !== m.id));
    } catch (e) {
      setProblem(`“${m.subject || m.filename || "(no subject)"}” was not deleted: ${explainRealmError(e)}`);
    }
  }, []);
  const deletes = usePendingDeletes(commitDelete);

  useEffect(() => {
    if (!draft.n) return;
    const el = composeRef.current;
    el?.scrollIntoView({ block: "start" });
    el?.querySelector<HTMLTextAreaElement>("textarea")?.focus();
  }, [draft.n]);

  useEffect(() => () => sessionRef.current?.socket.close(), []);

  const load = useCallback(async (s: MailboxSession) => {
    setLoading(true);
    try {
      const ids = await s.socket.inbox();
      const out: MessageSummary[] = [];
      for (const id of ids) out.push(await describeSecure(s, id));
      setMessages(out.reverse());
    } catch (e) {
      setProblem(explainRealmError(e));
    } finally {
      setLoading(false);
    }
  }, []);

  async function open(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const input = e.currentTarget.elements.namedItem("mailbox-password") as HTMLInputElement;
    const password = input.value;
    input.value = "";
    if (!password) return setProblem("Enter your password to open your messages.");
    setConnecting(true);
    setProblem(null);
    try {
      const s = await openSecureMailbox({ url: wsUrl, username, password });
      const socket = s.socket;
      socket.onNotification((event, data) => {
        if (event === "messageavailable") {
          const id = bytesToText(data);
          void describeSecure(s, id).then(
            (m) => {
              setMessages((list) => (list.some((x) => x.id === id) ? list : [m, ...list]));
              setLive(`New message from ${m.sender}${m.subject ? `: ${m.subject}` : ""}`);
            },
            () => undefined,
          );
        } else if (event === "banned" || event === "shutdown") {
          setProblem(`The realm closed the connection: ${bytesToText(data)}`);
        }
      });
      socket.onClose(() => {
        sessionRef.current = null;
        deletes.cancelAll();
        setSession(null);
        setProblem((p) => p ?? "The connection to the realm closed. Enter your password to reconnect.");
      });
      sessionRef.current = s;
      setSession(s);
      await load(s);
    } catch (err) {
      setProblem(explainRealmError(err));
    } finally {
      setConnecting(false);
    }
  }

  async function lock() {
    await deletes.flush();
    sessionRef.current?.socket.close();
    setMessages([]);
    setSelected(null);
    setProblem(null);
  }

  function remove(id: string) {
    const m = messages.find((x) => x.id === id);
    if (!m) return;
    deletes.schedule(m);
    if (selected === id) setSelected(null);
    setLive(`Message deleted. Undo is offered for a few seconds.`);
  }

  function undo(id: string) {
    const m = deletes.undo(id);
    if (m) setLive(`“${m.subject || m.filename || "(no subject)"}” is back in your inbox.`);
  }

  function reply(m: MessageSummary) {
    setDraft((d) => ({ to: m.sender, subject: replySubject(m.subject || m.filename), n: d.n + 1 }));
  }

  const hidden = new Set(deletes.pending.map((m) => m.id));
  const visible = messages.filter((m) => !hidden.has(m.id));
  const current = visible.find((m) => m.id === selected) ?? null;
  return (
    <div className="space-y-6">
      <p className="sr-only" aria-live="polite" data-testid="live-region">
        {live}
      </p>
      {problem ? (
        <div
          role="alert"
          className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800"
          data-testid="mailbox-problem"
        >
          {problem}
        </div>
      ) : null}
      {!session ? (
        <form onSubmit={open} className="card max-w-md space-y-4" data-testid="unlock-form">
          <div>
            <label className="label" htmlFor="mailbox-password">
              Password
            </label>
            <input
              id="mailbox-password"
              name="mailbox-password"
              type="password"
              className="input"
              autoComplete="current-password"
              aria-describedby="mailbox-password-hint"
            />
            <p id="mailbox-password-hint" className="hint">
              Your password opens a connection from this browser to your realm, as a computer of yours (“web”, added on
              first use, with an encryption key made and kept in this browser). The password is not stored: you enter it
              again next time.
            </p>
          </div>
          <button type="submit" className="btn-primary" disabled={connecting} aria-disabled={connecting}>
            {connecting ? "Opening…" : "Open messages"}
          </button>
        </form>
      ) : (
        <>
          <section aria-labelledby="inbox-heading" className="card space-y-3">
            <div className="flex flex-wrap items-center justify-between gap-2">
              <h2 id="inbox-heading" className="section-title">
                Inbox
              </h2>
              <div className="flex gap-2">
                <button type="button" className="btn-secondary" onClick={() => void load(session)} disabled={loading}>
                  {loading ? "Loading…" : "Refresh"}
                </button>
                <button type="button" className="btn-secondary" onClick={() => void lock()}>
                  Close connection
                </button>
              </div>
            </div>
            <p className="text-xs text-slate-600" data-testid="browser-computer">
              Messages for this browser, your computer “{session.computer}”. New messages appear here as they arrive.
              They are end-to-end encrypted: this page encrypts and decrypts them with a key kept in this browser
              (fingerprint <span className="font-mono">{session.fingerprint}</span>).
            </p>
            <InboxList messages={visible} selected={selected} onOpen={setSelected} onDelete={remove} />
          </section>
          {current ? (
            <MessageView
              key={current.id}
              mailbox={session}
              summary={current}
              onDelete={() => remove(current.id)}
              onReply={current.sender.endsWith("::postmaster") ? undefined : () => reply(current)}
              onClose={() => setSelected(null)}
            />
          ) : null}
          <section aria-labelledby="compose-heading" className="card scroll-mt-4 space-y-3" ref={composeRef}>
            <h2 id="compose-heading" className="section-title">
              Write a message
            </h2>
            <SendForm
              key={draft.n}
              wsUrl={wsUrl}
              username={username}
              session={session}
              initialTo={draft.to}
              initialSubject={draft.subject}
            />
          </section>
        </>
      )}
      <UndoToasts pending={deletes.pending} onUndo={undo} />
    </div>
  );
}
