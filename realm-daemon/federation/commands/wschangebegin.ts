import { beginMirrorChange } from "../../../lib/federation/workspace-mirror.ts";
import { optionalFields } from "../../commands/args.ts";
import { bigNumber, workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/**
 * wschangebegin (home realm → member's realm): workspace id, seq, size, author id, author
 * computer [, origin change id: the change was published on this realm as that change]. OK `state=open` (send wschangedata, then wschangecommit) or `state=complete` (this
 * realm has it already, or nobody here takes changes). FAIL when an earlier change is missing
 * (retry later), QUOTAEXCEEDED over the home realm's allowance here.
 */
export default peerCommand({
  name: "wschangebegin",
  states: [PeerState.Authenticated],
  async handle(conn, args) {
    const [ws, seq, size, authorId, authorComputer, origin] = optionalFields(
      args,
      ["workspace", "seq", "size", "author", "author computer", "origin change id"],
      5,
    );
    const fed = conn.federation;
    const state = await beginMirrorChange(
      fed.daemon.db.pool,
      conn.realm.id,
      conn.peerRealmId,
      {
        workspaceId: workspaceId(ws),
        seq: bigNumber(seq, "seq"),
        size: bigNumber(size, "size"),
        authorId,
        authorComputer,
      },
      fed.config.limits.maxInboundBytesPerPeer,
      origin ? bigNumber(origin, "origin change id") : null,
    );
    return { status: "OK", data: `state=${state}` };
  },
});
