import { leaveChannel } from "../../lib/domain/channels.ts";
import { WITH_COMPUTER } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/** leavechannel: channel. Also declines an invitation; your channel connections on it close. */
export default command({
  name: "leavechannel",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [channel] = fields(args, ["channel"]);
    await leaveChannel(ctx.db, channel, ctx.session!.userId);
    return { status: "OK" };
  },
});
