import { getSetting, resolveLocalUser } from "../../lib/domain/settings.ts";
import { LOGGED_IN } from "../state.ts";
import { optionalFields } from "./args.ts";
import { command } from "./types.ts";

/**
 * getusersetting: key [, user id [, computer]]. Another user's settings are readable only for
 * keys starting with "public-". NORESULTS when unset.
 */
export default command({
  name: "getusersetting",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [key, userId, computer] = optionalFields(args, ["key", "user id", "computer"], 1);
    const target = await resolveLocalUser(ctx.db, ctx.realm.id, userId, ctx.session!.userId);
    const value = await getSetting(ctx.db, target, computer, key);
    if (value === null) return { status: "NORESULTS", data: `no setting "${key}"` };
    return { status: "OK", data: value };
  },
});
