import { acceptRemote } from "../../../lib/federation/workspace-home.ts";
import { fields } from "../../commands/args.ts";
import { workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** wsaccept (member's realm → home realm): workspace id, member id. The member becomes ACTIVE; OK `head=<seq>`: changes after it will be forwarded. */
export default peerCommand({
  name: "wsaccept",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const [ws, memberId] = fields(args, ["workspace", "member"]);
    const head = await acceptRemote(ctx.db, ctx.realm.id, ctx.peerRealmId, workspaceId(ws), memberId);
    return { status: "OK", data: `head=${head}` };
  },
});
