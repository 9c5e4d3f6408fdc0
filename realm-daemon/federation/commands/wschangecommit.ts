import { commitMirrorChange } from "../../../lib/federation/workspace-mirror.ts";
import { fields } from "../../commands/args.ts";
import { bigNumber, workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** wschangecommit: workspace id, seq. Every byte must have arrived; local member computers get workspacechange change. OK (again OK when already committed). */
export default peerCommand({
  name: "wschangecommit",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const [ws, seq] = fields(args, ["workspace", "seq"]);
    await commitMirrorChange(ctx.db, ctx.realm.id, ctx.peerRealmId, workspaceId(ws), bigNumber(seq, "seq"));
    return { status: "OK" };
  },
});
