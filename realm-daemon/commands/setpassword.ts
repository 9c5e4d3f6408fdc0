import { changePassword } from "../../lib/domain/accounts.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/**
 * setpassword: current password, new password. The current password is checked under the login
 * limits; a change ends every other session of the account, this one stays.
 */
export default command({
  name: "setpassword",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [current, next] = fields(args, ["current password", "new password"]);
    await changePassword(ctx.db, ctx.session!, current, next, {
      realmId: ctx.realm.id,
      remoteIp: ctx.remoteIp,
      failuresPerWindow: ctx.limits.authFailuresPerWindow,
      failureWindowMs: ctx.limits.authFailureWindowMs,
    });
    ctx.log.info({ userId: ctx.session!.userId }, "password changed; other sessions end");
    return { status: "OK" };
  },
});
