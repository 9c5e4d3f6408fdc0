import { listChannelMembers } from "../../lib/domain/channels.ts";
import { ConnectionState } from "../state.ts";
import { fields, optionalFields } from "./args.ts";
import { command } from "./types.ts";

/**
 * listchannelmembers: channel (on a channel connection: nothing, its own channel). → one line per
 * member: user id, `owner` or `member`, `active` or `invited`.
 */
export default command({
  name: "listchannelmembers",
  states: [ConnectionState.Authenticated, ConnectionState.Channel],
  async handle(ctx, args) {
    const own = ctx.session!.channelId;
    const [channel] = own ? optionalFields(args, ["channel"], 0) : fields(args, ["channel"]);
    return { status: "OK", data: await listChannelMembers(ctx.db, channel || own!, ctx.session!.userId) };
  },
});
