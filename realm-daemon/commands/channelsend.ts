import { CHANNEL_LIMITS, sendChannelPacket } from "../../lib/domain/channels.ts";
import { ConnectionState } from "../state.ts";
import { fieldsWithData, int } from "./args.ts";
import { localUser } from "./channel-args.ts";
import { command } from "./types.ts";

/**
 * channelsend (on a channel connection): to (a member's user id, blank = every other member),
 * length, then `length` bytes (at most 64 KiB). Relayed at once to the open channel connections
 * of the channel (any instance) as `channeldata`; not stored, not retried. NOSUCHCHANNEL once
 * you are no longer a member.
 */
export default command({
  name: "channelsend",
  states: [ConnectionState.Channel],
  async handle(ctx, args) {
    const { fields, data } = fieldsWithData(args, ["to", "length"], 1);
    int(fields[1], "length", CHANNEL_LIMITS.maxPacketBytes);
    const s = ctx.session!;
    const to = fields[0] ? await localUser(ctx, fields[0]) : null;
    const sent = await sendChannelPacket(ctx.db, {
      channelId: s.channelId!,
      fromUserId: s.userId,
      fromFullId: s.fullId,
      fromComputer: s.computer,
      toUserId: to,
      body: data,
    });
    if (!sent) return { status: "NOSUCHCHANNEL", data: "you are no longer a member of this channel" };
    return { status: "OK" };
  },
});
