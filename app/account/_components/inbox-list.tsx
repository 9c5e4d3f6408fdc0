"use client";
// The inbox table: sender, subject (or file name), size; open and delete per row.
import type { MessageSummary } from "../../../lib/account/mailbox-client.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { UserId } from "../../_components/user-id.tsx";

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
  return (
    <table className="w-full text-sm" data-testid="inbox">
      <caption className="sr-only">Messages waiting for you</caption>
      <thead>
        <tr className="border-b border-slate-200 text-left text-slate-600">
          <th scope="col" className="py-2 font-medium">
            From
          </th>
          <th scope="col" className="py-2 font-medium">
            Subject
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
            <td className="py-2 pr-3 font-mono text-xs">
              <UserId id={m.sender} />
            </td>
            <td className="py-2 pr-3">
              {m.subject || (m.filename ? `File: ${m.filename}` : <span className="text-slate-500">(no subject)</span>)}
            </td>
            <td className="py-2 pr-3 text-right whitespace-nowrap">{formatBytes(m.size ?? m.storedBytes)}</td>
            <td className="py-2 text-right whitespace-nowrap">
              <button
                type="button"
                className="btn-secondary mr-2"
                onClick={() => onOpen(m.id)}
                aria-label={`Open message from ${m.sender}${m.subject ? `: ${m.subject}` : ""}`}
              >
                Open
              </button>
              <button
                type="button"
                className="btn-danger"
                onClick={() => onDelete(m.id)}
                aria-label={`Delete message from ${m.sender}${m.subject ? `: ${m.subject}` : ""}`}
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
