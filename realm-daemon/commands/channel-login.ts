// authenticate with the original's connection type `channel`: type, username, computer,
// password, channel id. The connection then belongs to that channel (state `channel`): it sends
// with channelsend and receives `channeldata`, `newchannelmember` and `channelclosed`. It is a
// second connection of the computer, so it records no presence (the computer's status does not
// change). The user must be an ACTIVE member (UNAUTHORIZED while only invited, NOSUCHCHANNEL).
import { checkChannelLogin } from "../../lib/domain/channels.ts";
import { logIn } from "../../lib/domain/login.ts";
import { ProtocolError } from "../../lib/protocol/index.ts";
import { fields } from "./args.ts";
import type { CommandResult, RealmContext } from "./types.ts";

export async function channelLogin(ctx: RealmContext, args: Buffer): Promise<CommandResult> {
  const [, name, computer, password, channelId] = fields(args, [
    "connection type",
    "username",
    "computer",
    "password",
    "channel id",
  ]);
  if (!computer) throw new ProtocolError("BADARGUMENTS", "a channel connection names its computer");
  const session = await logIn(ctx.db, {
    realmId: ctx.realm.id,
    name,
    computer,
    password,
    remoteIp: ctx.remoteIp,
    failuresPerWindow: ctx.limits.authFailuresPerWindow,
    failureWindowMs: ctx.limits.authFailureWindowMs,
  });
  await checkChannelLogin(ctx.db, channelId, session.userId);
  ctx.login({ ...session, channelId });
  ctx.log.info({ userId: session.userId, computer, channelId }, "channel connection authenticated");
  return { status: "OK", data: `userid=${session.fullId}` };
}
