"use client";
// The dashboard's live figures: one EventSource on /console/live (server-sent events) per open
// dashboard; cells show the server-rendered figure until the first event, then follow the
// stream. A dropped stream is reopened by the browser after `retry` (1 s); one the server
// refused (the browser gives up) is reopened here with a backoff. Without JavaScript the page
// shows the figures as of its rendering.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import type { LiveRealmFigures, LiveSnapshot } from "../../../lib/console/live-figures.ts";

// "static" until the script runs: without JavaScript the server-rendered figures stay, and say so.
type Status = "static" | "connecting" | "live" | "reconnecting";
const Live = createContext<{ figures: LiveSnapshot | null; status: Status }>({ figures: null, status: "static" });

export function LiveFigures({ children }: { children: ReactNode }) {
  const [figures, setFigures] = useState<LiveSnapshot | null>(null);
  const [status, setStatus] = useState<Status>("static");
  useEffect(() => {
    let es: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay = 1_000;
    const open = () => {
      setStatus((s) => (s === "static" ? "connecting" : s));
      es = new EventSource("/console/live");
      es.addEventListener("figures", (ev) => {
        setFigures(JSON.parse((ev as MessageEvent<string>).data) as LiveSnapshot);
        setStatus("live");
        delay = 1_000;
      });
      es.onopen = () => setStatus("live");
      es.onerror = () => {
        setStatus("reconnecting");
        if (es && es.readyState === EventSource.CLOSED) {
          es.close();
          timer = setTimeout(open, delay);
          delay = Math.min(delay * 2, 15_000);
        }
      };
    };
    open();
    return () => {
      clearTimeout(timer);
      es?.close();
    };
  }, []);
  return <Live.Provider value={{ figures, status }}>{children}</Live.Provider>;
}

/** One realm's figure: the live one once the stream has it, else the server-rendered one. */
export function LiveCount({
  realmId,
  field,
  initial,
}: {
  realmId: string;
  field: keyof LiveRealmFigures;
  initial: number;
}) {
  const { figures } = useContext(Live);
  const v = figures?.[realmId]?.[field] ?? initial;
  return (
    <span className="tabular-nums" data-testid={`live-${field}`}>
      {v.toLocaleString("en")}
    </span>
  );
}

/** Computers online across the visible realms. */
export function LiveOnlineTotal({ initial }: { initial: number }) {
  const { figures } = useContext(Live);
  const n = figures ? Object.values(figures).reduce((t, f) => t + f.connections, 0) : initial;
  return (
    <span data-testid="online-total">
      {n} computer{n === 1 ? "" : "s"} online now
    </span>
  );
}

export function LiveStatus() {
  const { status } = useContext(Live);
  const label =
    status === "live"
      ? "Live"
      : status === "reconnecting"
        ? "Reconnecting…"
        : status === "connecting"
          ? "Connecting…"
          : "Figures as of loading this page (reload for current ones)";
  return (
    <span
      className={`badge ${status === "live" ? "bg-green-100 text-green-900" : "bg-amber-100 text-amber-950"}`}
      data-testid="live-status"
      role="status"
      aria-live="polite"
    >
      {label}
    </span>
  );
}
