import { sealChange } from "../../lib/domain/workspace-changes.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, fields } from "./args.ts";
import { bigNumber } from "./workspace-args.ts";
import { command } from "./types.ts";

/**
 * workspaceseal: handle. Publishes the change atomically with the workspace's next sequence
 * number; online member computers get `workspacechange` (through NOTIFY, on every daemon
 * instance). OK data: `seq=<n>`, `size=<bytes>`.
 */
export default command({
  name: "workspaceseal",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [handle] = fields(args, ["handle"]);
    const s = await sealChange(ctx.db, caller(ctx), bigNumber(handle, "handle"));
    return { status: "OK", data: [`seq=${s.seq}`, `size=${s.size}`] };
  },
});
