import { deleteOwnAccount } from "../../lib/domain/account-self-deletion.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/**
 * deleteaccount: password, username (typed again as confirmation). Deletes the caller's account
 * (lib/domain/account-deletion.ts): every byte charged to them released, their unsent messages
 * retracted, their workspaces left, audited. OK data lines: released=, retracted=, workspacesleft=.
 * The password is checked under the login limits; every session of the account ends, this one
 * right after the reply.
 */
export default command({
  name: "deleteaccount",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [password, confirm] = fields(args, ["password", "username"]);
    const r = await deleteOwnAccount(ctx.db, ctx.session!, password, confirm, {
      realmId: ctx.realm.id,
      remoteIp: ctx.remoteIp,
      failuresPerWindow: ctx.limits.authFailuresPerWindow,
      failureWindowMs: ctx.limits.authFailureWindowMs,
    });
    ctx.log.info({ userId: r.userId }, "account deleted by its user");
    return {
      status: "OK",
      data: [`released=${r.bytesReleased}`, `retracted=${r.messagesRetracted}`, `workspacesleft=${r.workspacesLeft}`],
    };
  },
});
