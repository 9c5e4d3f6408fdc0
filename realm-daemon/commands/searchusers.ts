import { searchUsers } from "../../lib/domain/accounts.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/**
 * searchusers: prefix. Up to 50 user ids of this realm whose username starts with it and who let
 * the caller see them (setvisibility); NORESULTS if none.
 */
export default command({
  name: "searchusers",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [prefix] = fields(args, ["prefix"]);
    const names = await searchUsers(ctx.db, ctx.realm.id, prefix, ctx.limits.maxSearchResults, ctx.session!.userId);
    if (!names.length) return { status: "NORESULTS", data: "no matching users" };
    return { status: "OK", data: names.map((n) => `${ctx.realm.id}::${n}`) };
  },
});
