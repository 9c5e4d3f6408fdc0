import { beginChange } from "../../lib/domain/workspace-changes.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, optionalFields } from "./args.ts";
import { bigNumber, workspaceId } from "./workspace-args.ts";
import { command } from "./types.ts";

/**
 * workspacebegin: workspace id, optional total size. Opens an upload and returns its handle
 * (OK data: `change=<handle>`). With a size, a change larger than the realm's
 * maxWorkspaceChangeBytes or the free quota is refused at once (QUOTAEXCEEDED).
 */
export default command({
  name: "workspacebegin",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [ws, size] = optionalFields(args, ["workspace", "size"], 1);
    const handle = await beginChange(ctx.db, caller(ctx), workspaceId(ws), size ? bigNumber(size, "size") : null, {
      maxOpenChanges: ctx.limits.maxOpenWorkspaceChangesPerUser,
    });
    return { status: "OK", data: `change=${handle}` };
  },
});
