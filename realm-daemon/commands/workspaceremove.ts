import { removeMember } from "../../lib/domain/workspaces.ts";
import { LOGGED_IN } from "../state.ts";
import { caller, fields } from "./args.ts";
import { workspaceId } from "./workspace-args.ts";
import { command } from "./types.ts";

/**
 * workspaceremove: workspace id, member user id. The creator, owner or a manager only
 * (managers remove members, not other managers; nobody removes the owner). The member stops
 * receiving at once (its next pull or read is UNAUTHORIZED "removed: ..."), stops pinning, and
 * gets `workspacechange` (removed) if online. OK data: `freed=<changes>`, `released=<bytes>`.
 */
export default command({
  name: "workspaceremove",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [ws, member] = fields(args, ["workspace", "member"]);
    const f = await removeMember(ctx.db, caller(ctx), workspaceId(ws), member.trim());
    return { status: "OK", data: [`freed=${f.changes}`, `released=${f.bytes}`] };
  },
});
