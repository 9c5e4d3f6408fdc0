// Times for people, shared by the console (audit log) and the account pages (mailbox): a relative
// phrase to read, the exact UTC time for a tooltip. Browser-safe.

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago", then the date. */
export function relativeTime(at: Date, now: Date = new Date()): string {
  const s = Math.round((now.getTime() - at.getTime()) / 1000);
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? "" : "s"} ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} hour${h === 1 ? "" : "s"} ago`;
  const d = Math.round(h / 24);
  if (d < 30) return `${d} day${d === 1 ? "" : "s"} ago`;
  return at.toISOString().slice(0, 10);
}

/** "2026-11-29 14:05 UTC" */
export function exactUtc(at: Date): string {
  return `${at.toISOString().replace("T", " ").slice(0, 16)} UTC`;
}
