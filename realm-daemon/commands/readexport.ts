import { LOGGED_IN } from "../state.ts";
import { fields, int } from "./args.ts";
import { command } from "./types.ts";

/** readexport: id, offset, length. OK data: the archive's bytes (fewer at the end). */
export default command({
  name: "readexport",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [id, offset, length] = fields(args, ["id", "offset", "length"]);
    const data = await ctx.exports.read(
      ctx.session!.userId,
      id,
      int(offset, "offset"),
      int(length, "length", ctx.limits.maxPacketBytes - 512),
    );
    return { status: "OK", data };
  },
});
