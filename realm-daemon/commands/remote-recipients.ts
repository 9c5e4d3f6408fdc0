// Shared by createmessage and postmessage: recipients on other realms are checked with their
// realm before the message is accepted (docs/federation.md §4c).
import { queuedNote, remoteRecipientsByRealm } from "../../lib/federation/recipient-check.ts";
import type { CommandResult, RealmContext } from "./types.ts";

/**
 * A NOSUCHUSER result when another realm says a recipient does not exist there ("no such user
 * carol on realm …"); otherwise the OK data lines naming the realms that could not be asked,
 * `queued=<realm id> TAB <why>` (the message is queued for them as before).
 */
export async function checkRemoteRecipients(
  ctx: RealmContext,
  recipientIds: readonly string[],
): Promise<{ refusal: CommandResult } | { notes: string[] }> {
  const remote = remoteRecipientsByRealm(ctx.realm.id, recipientIds);
  if (!remote.size) return { notes: [] };
  const outcomes = ctx.checkRemoteRecipients
    ? await ctx.checkRemoteRecipients(remote)
    : [...remote.keys()].map((realmId) => ({
        realmId,
        state: "unchecked" as const,
        reason: "this realm server does not federate (no management server configured)",
      }));
  const refused = outcomes.flatMap((o) => (o.state === "checked" ? o.refused : []));
  if (refused.length) return { refusal: { status: "NOSUCHUSER", data: refused.map((r) => r.reason).join("; ") } };
  return { notes: outcomes.flatMap((o) => (o.state === "unchecked" ? [queuedNote(o)] : [])) };
}
