// Facts about the current request for rate limits, audit entries and same-origin checks.
//
// Client address: Next's server fills x-forwarded-for from the socket only when the request
// does not carry one, so behind no proxy a client could choose it. The production server
// (scripts/web-server.ts) should overwrite it with the socket address unless a trusted proxy
// sets it; the per-account limit does not depend on it.

/** Last address in x-forwarded-for (the hop nearest to us), or null. */
export function clientIpFrom(headers: Headers): string | null {
  const xff = headers.get("x-forwarded-for");
  if (!xff) return null;
  const parts = xff
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const ip = parts[parts.length - 1];
  return ip ? ip.slice(0, 64) : null;
}

/**
 * True when a state-changing request comes from a page of this site: the Origin header (or,
 * without one, the Referer) must name the host the request was sent to.
 */
export function isSameOrigin(headers: Headers): boolean {
  const host = headers.get("x-forwarded-host") ?? headers.get("host");
  if (!host) return false;
  const source = headers.get("origin") ?? headers.get("referer");
  if (!source || source === "null") return false;
  try {
    return new URL(source).host === host.split(",")[0].trim();
  } catch {
    return false;
  }
}
