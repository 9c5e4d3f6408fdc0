import { logIn } from "../../lib/domain/login.ts";
import { ConnectionState } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";
import { channelLogin } from "./channel-login.ts";

/**
 * authenticate: username (or full user id), computer name (blank = account management only),
 * password. BADAUTH for a wrong name or password (which one is not revealed); BADCOMPUTER for
 * an unknown computer; UNAUTHORIZED for a suspended account; RATELIMITED after repeated failures.
 */
export default command({
  name: "authenticate",
  states: [ConnectionState.Anonymous],
  async handle(ctx, args) {
    // The original's channel connection: `channel`, username, computer, password, channel id.
    if (/^channel\r?\n/i.test(args.subarray(0, 9).toString("latin1"))) return channelLogin(ctx, args);
    const [name, computer, password] = fields(args, ["username", "computer", "password"]);
    const session = await logIn(ctx.db, {
      realmId: ctx.realm.id,
      name,
      computer,
      password,
      remoteIp: ctx.remoteIp,
      failuresPerWindow: ctx.limits.authFailuresPerWindow,
      failureWindowMs: ctx.limits.authFailureWindowMs,
      presence: { connectionId: ctx.connectionId, instanceId: ctx.instanceId },
    });
    ctx.login(session);
    ctx.log.info({ userId: session.userId, computer }, "authenticated");
    return { status: "OK", data: `userid=${session.fullId}` };
  },
});
