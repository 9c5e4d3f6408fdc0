import { logIn } from "../../lib/domain/login.ts";
import { ConnectionState } from "../state.ts";
import { authenticateArgs, userIdArg } from "./args.ts";
import { command } from "./types.ts";
import { channelLogin } from "./channel-login.ts";

/**
 * authenticate: username (or full user id), computer name (blank = account management only),
 * password; or the original client's four fields with the connection type first (`normal`).
 * A four-field login marks the connection as speaking the original dialect (Session.original).
 * BADAUTH for a wrong name or password (which one is not revealed); BADCOMPUTER for an unknown
 * computer; UNAUTHORIZED for a suspended account; RATELIMITED after repeated failures.
 */
export default command({
  name: "authenticate",
  states: [ConnectionState.Anonymous],
  async handle(ctx, args) {
    // The original's channel connection: `channel`, username, computer, password, channel id.
    if (/^channel\r?\n/i.test(args.subarray(0, 9).toString("latin1"))) return channelLogin(ctx, args);
    const a = authenticateArgs(args);
    if (a.connectionType !== undefined && a.connectionType !== "normal")
      return { status: "BADARGUMENTS", data: 'the connection type is "normal" or "channel" (with a channel id)' };
    const session = await logIn(ctx.db, {
      realmId: ctx.realm.id,
      name: userIdArg(a.name),
      computer: a.computer,
      password: a.password,
      remoteIp: ctx.remoteIp,
      failuresPerWindow: ctx.limits.authFailuresPerWindow,
      failureWindowMs: ctx.limits.authFailureWindowMs,
      presence: { connectionId: ctx.connectionId, instanceId: ctx.instanceId, reRegister: ctx.reRegisterInstance },
    });
    ctx.login({ ...session, original: a.connectionType !== undefined });
    ctx.log.info(
      { userId: session.userId, computer: a.computer, original: a.connectionType !== undefined },
      "authenticated",
    );
    return { status: "OK", data: `userid=${session.fullId}` };
  },
});
