import { resyncMember } from "../../lib/domain/workspaces.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, fields } from "./args.ts";
import { workspaceId } from "./workspace-args.ts";
import { command } from "./types.ts";

/**
 * workspaceresync: workspace id. A suspended member becomes active again with every computer
 * at the current head (the changes it missed are gone; it fetches the workspace's state from
 * another member). An active member resets this computer's cursor to the head. OK data: `head=<seq>`.
 */
export default command({
  name: "workspaceresync",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [ws] = fields(args, ["workspace"]);
    const head = await resyncMember(ctx.db, caller(ctx), workspaceId(ws));
    return { status: "OK", data: `head=${head}` };
  },
});
