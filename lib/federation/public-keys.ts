// Looking up another realm's user's published computer keys (docs/clients.md §1, docs/
// federation.md): realm A asks realm B over the authenticated realm-to-realm link
// (`publickeys <user id>`), so a sender on A can encrypt for a recipient on B. Only the
// `public-og-*` computer settings travel: what B already shows to every user of its own realm.
// Reply: one JSON line per computer, {"computer": name, "settings": {key: value}}.
import type pg from "pg";
import { foldUsername, parseUserId } from "../domain/usernames.ts";
import { noSuchUserReason } from "./recipient-check.ts";

export const PUBLIC_KEY_PREFIX = "public-og-";

export interface RemoteComputerKeys {
  computer: string;
  settings: Record<string, string>;
}

export type PublicKeysLookup =
  { ok: true; computers: RemoteComputerKeys[] } | { ok: false; status: "NOSUCHUSER" | "BADARGUMENTS"; reason: string };

/** The receiving side: the computers of an active user of `realmId` with their public-og-* settings (one query). */
export async function localPublicKeys(pool: pg.Pool, realmId: string, userId: string): Promise<PublicKeysLookup> {
  const p = parseUserId(userId);
  if (!p || p.realmId.toLowerCase() !== realmId.toLowerCase())
    return { ok: false, status: "BADARGUMENTS", reason: `${userId} is not a user id of realm ${realmId}` };
  const r = await pool.query<{ name: string | null; key: string | null; value: string | null }>(
    `SELECT c.name, s.key, s.value
       FROM users u
       LEFT JOIN computers c ON c."userId" = u.id
       LEFT JOIN settings s ON s."userId" = u.id AND s.computer = c.name AND s.key LIKE 'public-og-%'
      WHERE u."realmId" = $1 AND u."usernameKey" = $2 AND u.status = 'ACTIVE'
      ORDER BY c."createdAt", c.name, s.key`,
    [realmId, foldUsername(p.username)],
  );
  if (!r.rowCount) return { ok: false, status: "NOSUCHUSER", reason: noSuchUserReason(userId) };
  const byName = new Map<string, RemoteComputerKeys>();
  for (const row of r.rows) {
    if (row.name === null) continue;
    const c = byName.get(row.name) ?? { computer: row.name, settings: {} };
    if (row.key !== null && row.value !== null) c.settings[row.key] = row.value;
    byName.set(row.name, c);
  }
  return { ok: true, computers: [...byName.values()] };
}

export function encodePublicKeys(computers: readonly RemoteComputerKeys[]): string[] {
  return computers.map((c) => JSON.stringify(c));
}

/** Parses a `publickeys` reply; undefined when a line is not what the format says. */
export function decodePublicKeys(lines: readonly string[]): RemoteComputerKeys[] | undefined {
  const out: RemoteComputerKeys[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return undefined;
    }
    const o = v as Partial<RemoteComputerKeys>;
    if (!o || typeof o.computer !== "string" || !o.settings || typeof o.settings !== "object") return undefined;
    const settings: Record<string, string> = {};
    for (const [k, val] of Object.entries(o.settings))
      if (k.startsWith(PUBLIC_KEY_PREFIX) && typeof val === "string") settings[k] = val;
    out.push({ computer: o.computer, settings });
  }
  return out;
}
