import { WITH_COMPUTER } from "../state.ts";
import { allLines, fields } from "./args.ts";
import { putSetting } from "../../lib/domain/settings.ts";
import { command } from "./types.ts";

/** setcomputersetting: key, value — a setting of the computer this session logged in from. */
export default command({
  name: "setcomputersetting",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    // Ours: key, value. The original's: computer ("" = this one), key, value.
    const v = allLines(args);
    if (v.length === 3 && v[0] !== "" && v[0]!.toLowerCase() !== ctx.session!.computer.toLowerCase())
      return { status: "UNAUTHORIZED", data: "only this computer's settings can be set from this connection" };
    const [key, value] = v.length === 3 ? [v[1]!, v[2]!] : fields(args, ["key", "value"]);
    await putSetting(ctx.db, ctx.session!.userId, ctx.session!.computer, key, value);
    return { status: "OK" };
  },
});
