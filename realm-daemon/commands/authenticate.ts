import { logIn } from "../../lib/domain/login.ts";
import { ConnectionState } from "../state.ts";
import { authenticateArgs, userIdArg } from "./args.ts";
import { command } from "./types.ts";

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
    const a = authenticateArgs(args);
    if (a.connectionType !== undefined && a.connectionType !== "normal") {
      if (a.connectionType === "channel")
        return { status: "FAIL", data: "channel connections are not supported by this realm (docs/protocol.md)" };
      return { status: "BADARGUMENTS", data: 'the connection type is "normal" or "channel"' };
    }
    const session = await logIn(ctx.db, {
      realmId: ctx.realm.id,
      name: userIdArg(a.name),
      computer: a.computer,
      password: a.password,
      remoteIp: ctx.remoteIp,
      failuresPerWindow: ctx.limits.authFailuresPerWindow,
      failureWindowMs: ctx.limits.authFailureWindowMs,
      presence: { connectionId: ctx.connectionId, instanceId: ctx.instanceId },
    });
    ctx.login({ ...session, original: a.connectionType !== undefined });
    ctx.log.info(
      { userId: session.userId, computer: a.computer, original: a.connectionType !== undefined },
      "authenticated",
    );
    return { status: "OK", data: `userid=${session.fullId}` };
  },
});
