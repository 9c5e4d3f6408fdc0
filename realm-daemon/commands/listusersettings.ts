import { listSettingKeys, resolveLocalUser } from "../../lib/domain/settings.ts";
import { LOGGED_IN } from "../state.ts";
import { optionalFields, userIdArg } from "./args.ts";
import { command } from "./types.ts";

/** listusersettings: [user id [, computer]]. Keys, one per line (only "public-" keys of other users). */
export default command({
  name: "listusersettings",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [userId, computer] = optionalFields(args, ["user id", "computer"], 0);
    const target = await resolveLocalUser(ctx.db, ctx.realm.id, userIdArg(userId), ctx.session!.userId);
    return { status: "OK", data: await listSettingKeys(ctx.db, target, computer) };
  },
});
