import { WITH_COMPUTER } from "../state.ts";
import { fields } from "./args.ts";
import { putSetting } from "../../lib/domain/settings.ts";
import { command } from "./types.ts";

/** setcomputersetting: key, value — a setting of the computer this session logged in from. */
export default command({
  name: "setcomputersetting",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [key, value] = fields(args, ["key", "value"]);
    await putSetting(ctx.db, ctx.session!.userId, ctx.session!.computer, key, value);
    return { status: "OK" };
  },
});
