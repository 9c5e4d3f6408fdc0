import { ProtocolError, splitWithTrailingData } from "../../lib/protocol/index.ts";
import { publishChange } from "../../lib/domain/workspace-changes.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller } from "./args.ts";
import { workspaceId } from "./workspace-args.ts";
import { command } from "./types.ts";

/**
 * workspacepublish: workspace id, length, then `length` bytes. A change that fits in one
 * packet, stored, charged and sealed at once (one commit); QUOTAEXCEEDED stores nothing.
 * OK data: `seq=<n>`, `size=<bytes>`, as workspaceseal.
 */
export default command({
  name: "workspacepublish",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const r = splitWithTrailingData(args, 2, 1);
    if (!r.ok) throw new ProtocolError("BADARGUMENTS", `expected: workspace, length, data (${r.error.reason})`);
    const s = await publishChange(ctx.db, caller(ctx), workspaceId(r.value.fields[0]), r.value.data);
    return { status: "OK", data: [`seq=${s.seq}`, `size=${s.size}`] };
  },
});
