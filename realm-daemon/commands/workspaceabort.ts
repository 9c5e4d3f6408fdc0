import { abortChange } from "../../lib/domain/workspace-changes.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller, fields } from "./args.ts";
import { bigNumber } from "./workspace-args.ts";
import { command } from "./types.ts";

/** workspaceabort: handle. Drops an unsealed upload. OK data: `released=<bytes>`. */
export default command({
  name: "workspaceabort",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [handle] = fields(args, ["handle"]);
    const released = await abortChange(ctx.db, caller(ctx), bigNumber(handle, "handle"));
    return { status: "OK", data: `released=${released}` };
  },
});
