import { acceptChannelInvite } from "../../lib/domain/channels.ts";
import { WITH_COMPUTER } from "../state.ts";
import { fields } from "./args.ts";
import { me } from "./channel-args.ts";
import { command } from "./types.ts";

/** acceptchannelinvite: channel. The channel's open connections get `newchannelmember`. */
export default command({
  name: "acceptchannelinvite",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [channel] = fields(args, ["channel"]);
    const m = me(ctx);
    await acceptChannelInvite(ctx.db, channel, m.userId, m.fullId);
    return { status: "OK" };
  },
});
