import { beginRemotePublish } from "../../../lib/federation/workspace-publish-home.ts";
import { fields } from "../../commands/args.ts";
import { bigNumber, workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/**
 * wspublishbegin (member's realm → home realm): workspace id, change id (chosen by the member's
 * realm), size, author id, author computer. OK `state=open` (send wspublishdata, then
 * wspublishcommit) or `state=complete` with `seq=<n>` (ordered already). UNAUTHORIZED when the
 * author is not an active member, QUOTAEXCEEDED over the size limit or the sender's allowance.
 */
export default peerCommand({
  name: "wspublishbegin",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const [ws, changeId, size, authorId, authorComputer] = fields(args, [
      "workspace",
      "change id",
      "size",
      "author",
      "author computer",
    ]);
    const r = await beginRemotePublish(
      ctx.db,
      ctx.realm.id,
      ctx.peerRealmId,
      {
        workspaceId: workspaceId(ws),
        changeId: bigNumber(changeId, "change id").toString(),
        size: bigNumber(size, "size"),
        authorId,
        authorComputer,
      },
      ctx.limits.maxInboundBytesPerPeer,
    );
    return { status: "OK", data: r.state === "open" ? ["state=open"] : ["state=complete", `seq=${r.seq}`] };
  },
});
