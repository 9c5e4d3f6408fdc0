import { searchUsers, searchUsersPage } from "../../lib/domain/accounts.ts";
import { LOGGED_IN } from "../state.ts";
import { allLines, int } from "./args.ts";
import { command } from "./types.ts";

/**
 * searchusers, two forms:
 * - `prefix`: up to 50 user ids of this realm whose username starts with it; NORESULTS if none.
 * - the original's `text LF offset LF limit LF searchotherrealms [LF public-key]...`: usernames
 *   containing the text (or whose listed `public-` user settings contain it), one page of at
 *   most 50 after `offset`; the reply's first line is the total number of matches, then one
 *   username per line, so a client streams any number of results page by page (the original's
 *   way). searchotherrealms is accepted and ignored (one realm is searched, as the original did).
 */
export default command({
  name: "searchusers",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const lines = allLines(args);
    if (lines.length >= 4) {
      const [text, offset, limit, , ...keys] = lines as [string, string, string, string, ...string[]];
      const wanted = keys.filter((k) => k.trim() !== "");
      if (wanted.some((k) => !k.startsWith("public-")))
        return { status: "UNAUTHORIZED", data: 'only user settings whose key starts with "public-" can be searched' };
      const page = await searchUsersPage(ctx.db, ctx.realm.id, {
        text,
        keys: wanted,
        offset: int(offset, "offset", 1_000_000_000),
        limit: Math.min(int(limit, "limit", 1_000_000_000), ctx.limits.maxSearchResults),
        viewerId: ctx.session!.userId,
      });
      return { status: "OK", data: [String(page.total), ...page.usernames] };
    }
    if (lines.length > 1)
      return {
        status: "BADARGUMENTS",
        data: "expected: prefix, or text, offset, limit, searchotherrealms [, public- keys]",
      };
    const names = await searchUsers(
      ctx.db,
      ctx.realm.id,
      lines[0] ?? "",
      ctx.limits.maxSearchResults,
      ctx.session!.userId,
    );
    if (!names.length) return { status: "NORESULTS", data: "no matching users" };
    return { status: "OK", data: names.map((n) => `${ctx.realm.id}::${n}`) };
  },
});
