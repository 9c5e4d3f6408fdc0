"use client";
// The inbox: sender, subject (or file name), when it arrived, size; open per row (the subject is
// the button), delete as a quiet text button (undo is offered after it). On a phone the table
// becomes one card per message (the `stack-table` rules in globals.css).
import type { MessageSummary } from "../../../lib/account/mailbox-client.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { UserId } from "../../_components/user-id.tsx";
import { ReceivedAt } from "./received-at.tsx";

export function InboxList({
  messages,
  selected,
  onOpen,
  onDelete,
}: {
  messages: MessageSummary[];
  selected: string | null;
  onOpen: (id: string) => void;
  onDelete: (id: string) => void;
}) {
  if (!messages.length)
    return (
      <p className="rounded-md border border-dashed border-slate-300 px-4 py-6 text-center text-sm text-slate-700">
        No messages waiting.
      </p>
    );
  const about = (m: MessageSummary) => `message from ${m.sender}${m.subject ? `: ${m.subject}` : ""}`;
  return (
    <table className="stack-table w-full text-sm" data-testid="inbox">
      <caption className="sr-only">Messages waiting for you</caption>
      <thead>
        <tr className="border-b border-slate-200 text-left text-slate-600">
          <th scope="col" className="py-2 font-medium">
            From
          </th>
          <th scope="col" className="py-2 font-medium">
            Subject
          </th>
          <th scope="col" className="py-2 font-medium">
            Received
          </th>
          <th scope="col" className="py-2 text-right font-medium">
            Size
          </th>
          <th scope="col" className="py-2">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {messages.map((m) => (
          <tr
            key={m.id}
            className={`border-b border-slate-100 ${selected === m.id ? "bg-brand-50" : ""}`}
            data-testid="inbox-row"
          >
            <td className="py-2 pr-3 font-mono text-xs" data-label="From">
              <UserId id={m.sender} />
            </td>
            <td className="py-2 pr-3" data-label="Subject">
              <button
                type="button"
                className="text-left font-medium text-brand-700 underline-offset-2 hover:underline"
                onClick={() => onOpen(m.id)}
                aria-label={`Open ${about(m)}`}
              >
                {m.unreadable
                  ? "(encrypted: cannot be opened in this browser)"
                  : m.subject || (m.filename ? `File: ${m.filename}` : "(no subject)")}
              </button>
            </td>
            <td className="py-2 pr-3 whitespace-nowrap text-slate-700" data-label="Received">
              <ReceivedAt at={m.receivedAt} />
            </td>
            <td className="py-2 pr-3 text-right whitespace-nowrap" data-label="Size">
              {formatBytes(m.size ?? m.storedBytes)}
            </td>
            <td className="py-2 text-right whitespace-nowrap">
              <button
                type="button"
                className="rounded px-2 py-1 text-slate-600 hover:bg-slate-100 hover:text-slate-900"
                onClick={() => onDelete(m.id)}
                aria-label={`Delete ${about(m)}`}
              >
                Delete
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
