import { addChannelMember } from "../../lib/domain/channels.ts";
import { WITH_COMPUTER } from "../state.ts";
import { fields } from "./args.ts";
import { localUser, me } from "./channel-args.ts";
import { command } from "./types.ts";

/**
 * addchannelmember: channel, user id. Creator only. The user is invited: its computers get
 * `invitetochannel` (channel, name, creator) and it joins with acceptchannelinvite.
 */
export default command({
  name: "addchannelmember",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [channel, user] = fields(args, ["channel", "user id"]);
    const m = me(ctx);
    await addChannelMember(ctx.db, channel, m.userId, m.fullId, await localUser(ctx, user));
    return { status: "OK" };
  },
});
