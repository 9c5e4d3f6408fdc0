import { readChange } from "../../lib/domain/workspace-changes.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, fields, int } from "./args.ts";
import { bigNumber, workspaceId } from "./workspace-args.ts";
import { command } from "./types.ts";

/** workspaceread: workspace id, seq, offset, length. OK data: the bytes (fewer at the end of the change). */
export default command({
  name: "workspaceread",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [ws, seq, offset, length] = fields(args, ["workspace", "seq", "offset", "length"]);
    const max = ctx.limits.maxPacketBytes - 512;
    const data = await readChange(
      ctx.db,
      caller(ctx),
      workspaceId(ws),
      bigNumber(seq, "seq"),
      bigNumber(offset, "offset"),
      int(length, "length", max),
    );
    return { status: "OK", data };
  },
});
