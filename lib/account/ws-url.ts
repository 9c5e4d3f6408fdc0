// Where the browser reaches the realm daemon's WebSocket transport (docs/protocol.md section 1):
// OPENGROOVE_REALM_WS_URL is the base (e.g. wss://realm.example.com:63780, or a reverse-proxy
// prefix such as wss://example.com/realm); the page appends /ws/<realm-slug>. Without it, the
// daemon's default HTTP port on the host the page was loaded from: ws://<host>:63780 (wss://
// when the page itself came over https, since browsers refuse ws:// from an https page).
import { z } from "zod";

export const DEFAULT_REALM_HTTP_PORT = 63780;

const wsBase = z
  .string()
  .trim()
  .url()
  .refine((v) => /^wss?:\/\//i.test(v), "must be a ws:// or wss:// URL");

/** Host name (no port) from a Host header; IPv6 keeps its brackets. */
export function hostnameOf(hostHeader: string): string {
  const h = hostHeader.split(",")[0].trim();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1) || "localhost";
  return h.replace(/:\d+$/, "") || "localhost";
}

export function realmWsUrl(opts: {
  envBase: string | undefined;
  hostHeader: string;
  https: boolean;
  slug: string;
}): string {
  let base: string;
  if (opts.envBase) {
    const parsed = wsBase.safeParse(opts.envBase);
    if (!parsed.success) throw new Error(`OPENGROOVE_REALM_WS_URL ${parsed.error.issues[0]?.message ?? "is invalid"}`);
    base = parsed.data.replace(/\/+$/, "");
  } else {
    base = `${opts.https ? "wss" : "ws"}://${hostnameOf(opts.hostHeader)}:${DEFAULT_REALM_HTTP_PORT}`;
  }
  return `${base}/ws/${encodeURIComponent(opts.slug)}`;
}
