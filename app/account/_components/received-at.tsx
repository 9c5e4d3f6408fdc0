"use client";
// When a message arrived: a relative phrase ("5 minutes ago"), the exact UTC time on hover and
// for screen readers (the <time> element's title and dateTime), kept fresh every half minute.
import { useEffect, useState } from "react";
import { exactUtc, relativeTime } from "../../../lib/format/time.ts";

export function ReceivedAt({ at }: { at?: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  if (at === undefined) return <span className="text-slate-500">—</span>;
  const d = new Date(at);
  return (
    <time dateTime={d.toISOString()} title={exactUtc(d)} data-testid="received-at">
      {relativeTime(d, new Date(Math.max(now, at)))}
    </time>
  );
}
