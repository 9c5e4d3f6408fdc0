import { ackChanges } from "../../lib/domain/workspace-changes.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, fields } from "./args.ts";
import { bigNumber, workspaceId } from "./workspace-args.ts";
import { command } from "./types.ts";

/**
 * workspaceack: workspace id, seq. This computer has every change up to seq (the cursor never
 * moves back). Changes no other computer waits for are freed and their bytes released from
 * their authors' quotas. OK data: `acked=<seq>`, `freed=<changes>`, `released=<bytes>`.
 */
export default command({
  name: "workspaceack",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [ws, seq] = fields(args, ["workspace", "seq"]);
    const r = await ackChanges(ctx.db, caller(ctx), workspaceId(ws), bigNumber(seq, "seq"));
    return { status: "OK", data: [`acked=${r.acked}`, `freed=${r.freed.changes}`, `released=${r.freed.bytes}`] };
  },
});
