import { getSetting, resolveLocalUser } from "../../lib/domain/settings.ts";
import { LOGGED_IN } from "../state.ts";
import { fields, optionalFields, userIdArg } from "./args.ts";
import { command } from "./types.ts";
import { isRemoteUser, remoteSetting } from "./remote-keys.ts";

/**
 * getusersetting: key [, user id [, computer]]. Another user's settings are readable only for
 * keys starting with "public-"; of a user on another realm, only its "public-og-" keys (asked of
 * that realm over federation). NORESULTS when unset.
 */
export default command({
  name: "getusersetting",
  states: LOGGED_IN,
  async handle(ctx, args) {
    // The original client sent `username LF key` (username "" = its own) and read an unset
    // setting as an empty OK reply; a connection in the original dialect gets exactly that.
    const original = ctx.session!.original === true;
    const [key, userId, computer] = original
      ? (([u, k]) => [k!, u!, ""])(fields(args, ["username", "key"]))
      : optionalFields(args, ["key", "user id", "computer"], 1);
    if (!original && userId && isRemoteUser(ctx, userIdArg(userId))) {
      // Another realm's user: only its published keys, asked of its realm (docs/clients.md §1).
      const remote = await remoteSetting(ctx, userIdArg(userId), computer ?? "", key);
      return remote === null ? { status: "NORESULTS", data: `no setting "${key}"` } : { status: "OK", data: remote };
    }
    const target = await resolveLocalUser(ctx.db, ctx.realm.id, userIdArg(userId), ctx.session!.userId);
    const value = await getSetting(ctx.db, target, computer, key);
    if (value === null) return original ? { status: "OK" } : { status: "NORESULTS", data: `no setting "${key}"` };
    return { status: "OK", data: value };
  },
});
