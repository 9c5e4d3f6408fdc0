"use client";
// One message: read in chunks and, when end-to-end encrypted, decrypted and checked here in the
// page (client/mailbox/mailbox-secure.ts); the envelope decoded; text shown, files offered for
// download. How it was protected is said above the body; a sender key that changed or is
// unknown is a warning.
import { useEffect, useState } from "react";
import { bodyText, decodeEnvelope } from "../../../lib/envelope.ts";
import { explainRealmError, type MessageSummary } from "../../../lib/account/mailbox-client.ts";
import { describeProtection, readSecure, type SecureMailbox } from "../../../client/mailbox/mailbox-secure.ts";
import { describeKeyChange } from "../../../client/sdk/crypto/known-keys.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { UserId } from "../../_components/user-id.tsx";
import { ReceivedAt } from "./received-at.tsx";

type Loaded =
  | {
      text: string | null;
      url: string;
      filename: string;
      size: number;
      protection: { text: string; warning: boolean };
      keyChange?: string;
    }
  | { error: string }
  | null;

export function MessageView({
  mailbox,
  summary,
  onDelete,
  onReply,
  onClose,
}: {
  mailbox: SecureMailbox;
  summary: MessageSummary;
  onDelete: () => void;
  /** Absent for messages nobody reads replies to (the postmaster's bounces). */
  onReply?: () => void;
  onClose: () => void;
}) {
  const [loaded, setLoaded] = useState<Loaded>(null);
  useEffect(() => {
    let url = "";
    let cancelled = false;
    readSecure(mailbox, summary).then(
      (opened) => {
        if (cancelled) return;
        const { header, body, raw } = decodeEnvelope(opened.bytes);
        const copy = new Uint8Array(body.length);
        copy.set(body);
        // Never the sender's content type: a blob URL has this page's origin, so a sender's
        // text/html opened in a tab (middle click, "open link") would run as this page.
        url = URL.createObjectURL(new Blob([copy.buffer], { type: "application/octet-stream" }));
        setLoaded({
          text: bodyText(header, body, raw),
          url,
          filename: header.filename ?? "message.bin",
          size: body.length,
          protection: describeProtection(opened),
          keyChange: opened.keyChange ? describeKeyChange(opened.keyChange) : undefined,
        });
      },
      (e: unknown) => !cancelled && setLoaded({ error: explainRealmError(e) }),
    );
    return () => {
      cancelled = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [mailbox, summary]);

  return (
    <section aria-labelledby="message-heading" className="card space-y-3" data-testid="message-view">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div>
          <h2 id="message-heading" className="section-title">
            {summary.subject || summary.filename || "(no subject)"}
          </h2>
          <p className="text-xs text-slate-600">
            From <UserId id={summary.sender} className="font-mono" /> ({summary.senderComputer || "unknown computer"})
            {" · "}
            <ReceivedAt at={summary.receivedAt} />
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          {onReply ? (
            <button type="button" className="btn-primary" onClick={onReply}>
              Reply
            </button>
          ) : null}
          <button type="button" className="btn-secondary" onClick={onDelete}>
            Delete
          </button>
          <button type="button" className="btn-secondary" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
      {!loaded ? (
        <p className="text-sm text-slate-700" role="status">
          Loading…
        </p>
      ) : "error" in loaded ? (
        <p role="alert" className="text-sm text-red-800">
          {loaded.error}
        </p>
      ) : (
        <>
          <p
            className={`text-xs ${loaded.protection.warning ? "rounded-md border border-amber-300 bg-amber-50 px-2 py-1 text-amber-900" : "text-slate-600"}`}
            role={loaded.protection.warning ? "alert" : undefined}
            data-testid="message-protection"
          >
            {loaded.protection.text}
            {loaded.keyChange ? ` ${loaded.keyChange[0].toUpperCase()}${loaded.keyChange.slice(1)}.` : ""}
          </p>
          {loaded.text !== null && !summary.filename ? (
            <pre
              className="rounded-md border border-slate-200 bg-slate-50 p-3 text-sm whitespace-pre-wrap"
              data-testid="message-text"
            >
              {loaded.text}
            </pre>
          ) : (
            <p className="text-sm text-slate-700">This message is a file ({formatBytes(loaded.size)}).</p>
          )}
          <a
            className="btn-secondary inline-block"
            href={loaded.url}
            download={loaded.filename}
            data-testid="message-download"
          >
            Download {summary.filename ? summary.filename : "as a file"}
          </a>
        </>
      )}
    </section>
  );
}
