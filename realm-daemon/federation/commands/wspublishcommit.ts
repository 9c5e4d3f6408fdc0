import { commitRemotePublish } from "../../../lib/federation/workspace-publish-home.ts";
import { fields } from "../../commands/args.ts";
import { bigNumber, workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** wspublishcommit: workspace id, change id. Every byte must have arrived; the change takes the workspace's next seq. OK `seq=<n>` (the same on a retry). */
export default peerCommand({
  name: "wspublishcommit",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const [ws, changeId] = fields(args, ["workspace", "change id"]);
    const seq = await commitRemotePublish(
      ctx.db,
      ctx.realm.id,
      ctx.peerRealmId,
      workspaceId(ws),
      bigNumber(changeId, "change id").toString(),
    );
    return { status: "OK", data: [`seq=${seq}`] };
  },
});
