import { createChannel } from "../../lib/domain/channels.ts";
import { WITH_COMPUTER } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/** createchannel: name. → `channel=<id>`; you are its creator and first member. QUOTAEXCEEDED past the realm's channels per user. */
export default command({
  name: "createchannel",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [name] = fields(args, ["name"]);
    const id = await createChannel(ctx.db, ctx.realm.id, ctx.session!.userId, name);
    return { status: "OK", data: `channel=${id}` };
  },
});
