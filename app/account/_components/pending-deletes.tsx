"use client";
// Delete with undo: a deleted message leaves the list at once, and a toast offers Undo for a few
// seconds; only then is `deletemessage` sent. Until that moment nothing has left the realm, so
// closing the page or losing the connection keeps the message (it is shown again next time).
// A delete the realm refuses puts the message back and says why.
import { useCallback, useEffect, useRef, useState } from "react";
import type { MessageSummary } from "../../../lib/account/mailbox-client.ts";

export const UNDO_MS = 6_000;

interface Pending {
  message: MessageSummary;
  timer: ReturnType<typeof setTimeout>;
}

export function usePendingDeletes(commit: (m: MessageSummary) => Promise<void>) {
  const [pending, setPending] = useState<MessageSummary[]>([]);
  const timers = useRef(new Map<string, Pending>());
  const commitRef = useRef(commit);
  useEffect(() => {
    commitRef.current = commit;
  }, [commit]);
  // Leaving the page cancels what was not sent yet: those messages stay on the realm.
  useEffect(() => {
    const all = timers.current;
    return () => {
      for (const p of all.values()) clearTimeout(p.timer);
      all.clear();
    };
  }, []);

  const drop = (id: string) => {
    timers.current.delete(id);
    setPending((list) => list.filter((m) => m.id !== id));
  };

  const schedule = useCallback((message: MessageSummary) => {
    if (timers.current.has(message.id)) return;
    const timer = setTimeout(() => {
      drop(message.id);
      void commitRef.current(message);
    }, UNDO_MS);
    timers.current.set(message.id, { message, timer });
    setPending((list) => [...list, message]);
  }, []);

  /** Undo: the message was never deleted; returns it so the caller puts it back. */
  const undo = useCallback((id: string): MessageSummary | undefined => {
    const p = timers.current.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    drop(id);
    return p.message;
  }, []);

  /** Sends every pending delete now (the user closes the mailbox on purpose). */
  const flush = useCallback(async () => {
    const all = [...timers.current.values()];
    for (const p of all) clearTimeout(p.timer);
    timers.current.clear();
    setPending([]);
    for (const p of all) await commitRef.current(p.message);
  }, []);

  /** The connection closed: nothing pending will be sent. */
  const cancelAll = useCallback(() => {
    for (const p of timers.current.values()) clearTimeout(p.timer);
    timers.current.clear();
    setPending([]);
  }, []);

  return { pending, schedule, undo, flush, cancelAll };
}

export function UndoToasts({ pending, onUndo }: { pending: MessageSummary[]; onUndo: (id: string) => void }) {
  if (!pending.length) return null;
  return (
    <div
      className="fixed right-4 bottom-4 left-4 z-50 mx-auto max-w-md space-y-2 sm:left-auto"
      data-testid="undo-toasts"
    >
      {pending.map((m) => (
        <div
          key={m.id}
          role="status"
          data-testid="undo-toast"
          className="flex items-center gap-3 rounded-md border border-slate-300 bg-slate-900 px-4 py-3 text-sm text-white shadow-lg"
        >
          <p className="min-w-0 flex-1 break-words">Deleted “{m.subject || m.filename || "(no subject)"}”.</p>
          <button
            type="button"
            className="shrink-0 rounded px-2 py-1 font-semibold text-brand-100 underline-offset-2 hover:underline"
            onClick={() => onUndo(m.id)}
          >
            Undo
          </button>
        </div>
      ))}
    </div>
  );
}
