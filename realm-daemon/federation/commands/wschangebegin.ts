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
  async handle(ctx, args) {
    const [ws, seq, size, authorId, authorComputer, origin] = optionalFields(
      args,
      ["workspace", "seq", "size", "author", "author computer", "origin change id"],
      5,
    );
    const state = await beginMirrorChange(
      ctx.db,
      ctx.realm.id,
      ctx.peerRealmId,
      {
        workspaceId: workspaceId(ws),
        seq: bigNumber(seq, "seq"),
        size: bigNumber(size, "size"),
        authorId,
        authorComputer,
      },
      ctx.limits.maxInboundBytesPerPeer,
      origin ? bigNumber(origin, "origin change id") : null,
    );
    return { status: "OK", data: `state=${state}` };
  },
});
