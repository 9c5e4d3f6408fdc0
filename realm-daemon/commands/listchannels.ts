import { listChannels } from "../../lib/domain/channels.ts";
import { WITH_COMPUTER } from "../state.ts";
import { command } from "./types.ts";

/** listchannels: your channels and invitations, `id status role name` per line (name last). NORESULTS if none. */
export default command({
  name: "listchannels",
  states: WITH_COMPUTER,
  async handle(ctx) {
    const lines = await listChannels(ctx.db, ctx.session!.userId);
    if (!lines.length) return { status: "NORESULTS", data: "no channels" };
    return { status: "OK", data: lines };
  },
});
