import { changePassword } from "../../lib/domain/accounts.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/** setpassword: current password, new password. Other sessions of the account stay logged in. */
export default command({
  name: "setpassword",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [current, next] = fields(args, ["current password", "new password"]);
    await changePassword(ctx.db, ctx.session!, current, next);
    return { status: "OK" };
  },
});
