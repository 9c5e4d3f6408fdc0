import { CHECKUSERS_MAX_IDS, checkLocalUsers, encodeCheckReply } from "../../../lib/federation/recipient-check.ts";
import { allLines } from "../../commands/args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/**
 * checkusers: one user id of this realm per line (at most 100). OK lines:
 * "refused=<user id> TAB <STATUS> TAB <reason>" for each one without an active account here;
 * no line for those that exist. The sending realm asks before it accepts a message
 * (docs/federation.md §4c); deliverbegin still checks again.
 */
export default peerCommand({
  name: "checkusers",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const ids = allLines(args).filter((l) => l.trim());
    if (!ids.length || ids.length > CHECKUSERS_MAX_IDS)
      return { status: "BADARGUMENTS", data: `expected: 1 to ${CHECKUSERS_MAX_IDS} user ids, one per line` };
    return { status: "OK", data: encodeCheckReply(await checkLocalUsers(ctx.db, ctx.realm.id, ids)) };
  },
});
