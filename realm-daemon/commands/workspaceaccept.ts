import { acceptInvite } from "../../lib/domain/workspaces.ts";
import { LOGGED_IN } from "../state.ts";
import { caller, fields } from "./args.ts";
import { workspaceId } from "./workspace-args.ts";
import { command } from "./types.ts";

/** workspaceaccept: workspace id. Every computer of the account starts at the current head. OK data: `head=<seq>`. */
export default command({
  name: "workspaceaccept",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [ws] = fields(args, ["workspace"]);
    const head = await acceptInvite(ctx.db, caller(ctx), workspaceId(ws));
    return { status: "OK", data: `head=${head}` };
  },
});
