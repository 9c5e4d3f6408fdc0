import { getVisibility } from "../../lib/domain/visibility.ts";
import { LOGGED_IN } from "../state.ts";
import { optionalFields } from "./args.ts";
import { command } from "./types.ts";

/**
 * getvisibility [level]: without an argument the original's answer, `true` (everyone may see you)
 * or `false`; with the word `level`: `everyone`, `contacts` or `nobody`.
 */
export default command({
  name: "getvisibility",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [form] = optionalFields(args, ["form"], 0);
    if (form && form !== "level") return { status: "BADARGUMENTS", data: 'the only argument is the word "level"' };
    const v = await getVisibility(ctx.db, ctx.session!.userId);
    return { status: "OK", data: form ? v.toLowerCase() : String(v === "EVERYONE") };
  },
});
