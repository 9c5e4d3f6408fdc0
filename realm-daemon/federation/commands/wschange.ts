import { splitWithTrailingData, ProtocolError } from "../../../lib/protocol/index.ts";
import { receiveWholeChange } from "../../../lib/federation/workspace-mirror.ts";
import { bigNumber, workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/**
 * wschange (home realm → member's realm): a whole change in one request: workspace id, seq,
 * size, author id, author computer, origin change id ("" when the change was not published on
 * this realm), then exactly `size` bytes. OK `state=new` (stored now) or `state=complete` (this
 * realm had it already, or nobody here takes changes). FAIL when an earlier change is missing
 * (retry later), QUOTAEXCEEDED over the home realm's allowance here. The sending realm pipelines
 * many of these per round trip (docs/federation.md §4b); bigger changes use
 * wschangebegin/data/commit.
 */
export default peerCommand({
  name: "wschange",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const f = splitWithTrailingData(args, 6, 2);
    if (!f.ok)
      throw new ProtocolError(
        "BADARGUMENTS",
        `expected: workspace, seq, size, author, author computer, origin change id, data (${f.error.reason})`,
      );
    const [ws, seq, size, authorId, authorComputer, origin] = f.value.fields;
    const state = await receiveWholeChange(
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
      Buffer.from(f.value.data),
      ctx.limits.maxInboundBytesPerPeer,
      origin ? bigNumber(origin, "origin change id") : null,
    );
    return { status: "OK", data: `state=${state}` };
  },
});
