import { encodePublicKeys, localPublicKeys } from "../../../lib/federation/public-keys.ts";
import { allLines } from "../../commands/args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/**
 * publickeys: one user id of this realm. OK: one JSON line per computer of that user,
 * {"computer", "settings": its public-og-* computer settings} (the keys its clients publish for
 * end-to-end encryption; docs/clients.md). NOSUCHUSER when there is no active account. Another
 * realm asks so that its users can encrypt for this one's (it caches the answer a few seconds).
 */
export default peerCommand({
  name: "publickeys",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const ids = allLines(args).filter((l) => l.trim());
    if (ids.length !== 1) return { status: "BADARGUMENTS", data: "expected: 1 user id" };
    const r = await localPublicKeys(ctx.db, ctx.realm.id, ids[0]);
    if (!r.ok) return { status: r.status, data: r.reason };
    return { status: "OK", data: encodePublicKeys(r.computers) };
  },
});
