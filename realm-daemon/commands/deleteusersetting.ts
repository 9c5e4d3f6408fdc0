import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { putSetting } from "../../lib/domain/settings.ts";
import { command } from "./types.ts";

/** deleteusersetting: key. */
export default command({
  name: "deleteusersetting",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [key] = fields(args, ["key"]);
    await putSetting(ctx.db, ctx.session!.userId, "", key, null);
    return { status: "OK" };
  },
});
