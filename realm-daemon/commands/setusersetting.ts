import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { putSetting } from "../../lib/domain/settings.ts";
import { command } from "./types.ts";

/** setusersetting: key, value. Keys starting with "public-" are readable by other users. */
export default command({
  name: "setusersetting",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [key, value] = fields(args, ["key", "value"]);
    await putSetting(ctx.db, ctx.session!.userId, "", key, value);
    return { status: "OK" };
  },
});
