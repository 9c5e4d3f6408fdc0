// Checking recipients on another realm before a message is accepted (docs/federation.md §4c):
// the sending realm asks the recipients' realm over the authenticated realm-to-realm link
// (`checkusers`), so a message to a user who does not exist there is refused at once instead of
// bouncing later. When that realm cannot be asked (down, not federated yet, no answer within the
// deadline) the message is queued as before and the sender is told so.
import type pg from "pg";
import { foldUsername, parseUserId } from "../domain/usernames.ts";

export interface RecipientRefusal {
  recipientId: string;
  status: string;
  reason: string;
}

export type RecipientCheckOutcome =
  | { realmId: string; state: "checked"; refused: RecipientRefusal[] }
  /** Not asked or no usable answer: the message is queued for that realm. */
  | { realmId: string; state: "unchecked"; reason: string };

/** The recipients of other realms than `localRealmId`, grouped by realm (ids that do not parse are left to createMessage). */
export function remoteRecipientsByRealm(localRealmId: string, recipientIds: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const id of recipientIds) {
    const p = parseUserId(id);
    if (!p || p.realmId === localRealmId) continue;
    const list = out.get(p.realmId) ?? [];
    if (!list.includes(id)) list.push(id);
    out.set(p.realmId, list);
  }
  return out;
}

/** "no such user carol on realm host:port" */
export function noSuchUserReason(recipientId: string): string {
  const p = parseUserId(recipientId);
  return p ? `no such user ${p.username} on realm ${p.realmId}` : `no such user ${recipientId}`;
}

/**
 * The receiving side of `checkusers`: which of these user ids (all of `realmId`) have no active
 * account here. One query for the whole list.
 */
export async function checkLocalUsers(
  pool: pg.Pool,
  realmId: string,
  recipientIds: readonly string[],
): Promise<RecipientRefusal[]> {
  const parsed = recipientIds.map((id) => ({ id, p: parseUserId(id) }));
  const keys = parsed.flatMap((x) => (x.p && x.p.realmId === realmId ? [foldUsername(x.p.username)] : []));
  const found = new Set<string>();
  if (keys.length) {
    const r = await pool.query<{ usernameKey: string }>(
      `SELECT "usernameKey" FROM users WHERE "realmId" = $1 AND "usernameKey" = ANY($2::text[]) AND status = 'ACTIVE'`,
      [realmId, keys],
    );
    for (const row of r.rows) found.add(row.usernameKey);
  }
  return parsed.flatMap(({ id, p }) => {
    if (!p || p.realmId !== realmId)
      return [{ recipientId: id, status: "BADARGUMENTS", reason: `${id} is not a user id of realm ${realmId}` }];
    return found.has(foldUsername(p.username))
      ? []
      : [{ recipientId: id, status: "NOSUCHUSER", reason: noSuchUserReason(id) }];
  });
}

/** `checkusers` reply lines: "refused=<user id> TAB <STATUS> TAB <reason>" (nothing for users that exist). */
export function encodeCheckReply(refused: readonly RecipientRefusal[]): string[] {
  return refused.map((r) => `refused=${r.recipientId}\t${r.status}\t${r.reason.replace(/[\r\n\t]+/g, " ")}`);
}

/** The most user ids one `checkusers` request may carry (the receiving side refuses more). */
export const CHECKUSERS_MAX_IDS = 100;

export function decodeCheckReply(lines: readonly string[]): RecipientRefusal[] {
  return lines
    .filter((l) => l.startsWith("refused="))
    .map((l) => {
      const [recipientId, status = "NOSUCHUSER", reason = ""] = l.slice(8).split("\t");
      return { recipientId, status, reason: reason || noSuchUserReason(recipientId) };
    });
}

/** createmessage's OK data for a realm that could not be asked: "queued=<realm> TAB <why>". */
export function queuedNote(o: { realmId: string; reason: string }): string {
  return `queued=${o.realmId}\t${o.reason.replace(/[\r\n\t]+/g, " ")}`;
}
