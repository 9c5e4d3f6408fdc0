import { deleteChannel } from "../../lib/domain/channels.ts";
import { WITH_COMPUTER } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/** deletechannel: channel. Creator only; every connection on it gets `channelclosed` and closes. */
export default command({
  name: "deletechannel",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [channel] = fields(args, ["channel"]);
    await deleteChannel(ctx.db, channel, ctx.session!.userId);
    return { status: "OK" };
  },
});
