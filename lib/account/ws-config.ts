// The realm WebSocket URL for the current request (server components only).
import { headers } from "next/headers";
import { realmWsUrl } from "./ws-url.ts";

export async function realmWsUrlForRequest(slug: string): Promise<string> {
  const h = await headers();
  const host = h.get("x-forwarded-host") ?? h.get("host") ?? "localhost";
  const https = (h.get("x-forwarded-proto") ?? "").split(",")[0].trim() === "https";
  return realmWsUrl({ envBase: process.env.OPENGROOVE_REALM_WS_URL || undefined, hostHeader: host, https, slug });
}
