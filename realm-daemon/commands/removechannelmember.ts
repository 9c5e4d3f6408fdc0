import { removeChannelMember } from "../../lib/domain/channels.ts";
import { WITH_COMPUTER } from "../state.ts";
import { fields } from "./args.ts";
import { localUser } from "./channel-args.ts";
import { command } from "./types.ts";

/** removechannelmember: channel, user id. Creator only; the member's channel connections get `channelclosed` and close. */
export default command({
  name: "removechannelmember",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [channel, user] = fields(args, ["channel", "user id"]);
    await removeChannelMember(ctx.db, channel, ctx.session!.userId, await localUser(ctx, user));
    return { status: "OK" };
  },
});
