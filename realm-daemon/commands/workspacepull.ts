import { pullChanges } from "../../lib/domain/workspace-changes.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, int, optionalFields } from "./args.ts";
import { workspaceId } from "./workspace-args.ts";
import { command } from "./types.ts";

/**
 * workspacepull: workspace id, optional maximum entries. The changes after this computer's
 * cursor, oldest first. OK data: `head=<seq>`, `acked=<seq>`, `more=true|false`, then one
 * `change=<seq> <size> <author user id> <author computer>` line per change. A suspended member
 * gets UNAUTHORIZED with a reason starting `suspended:` (see workspaceresync).
 */
export default command({
  name: "workspacepull",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [ws, rawMax] = optionalFields(args, ["workspace", "max"], 1);
    const limit = ctx.limits.maxWorkspacePullEntries;
    const max = rawMax ? Math.max(1, Math.min(int(rawMax, "max"), limit)) : limit;
    const r = await pullChanges(ctx.db, caller(ctx), workspaceId(ws), max);
    return {
      status: "OK",
      data: [
        `head=${r.head}`,
        `acked=${r.acked}`,
        `more=${r.more}`,
        ...r.changes.map((c) => `change=${c.seq} ${c.size} ${c.authorId} ${c.authorComputer}`),
      ],
    };
  },
});
