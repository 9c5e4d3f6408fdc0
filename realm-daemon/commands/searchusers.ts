import { foldUsername } from "../../lib/domain/usernames.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/** searchusers: prefix. Up to 50 user ids of this realm whose username starts with it; NORESULTS if none. */
export default command({
  name: "searchusers",
  states: LOGGED_IN,
  async handle(conn, args) {
    const [prefix] = fields(args, ["prefix"]);
    const key = foldUsername(prefix).replace(/[\\%_]/g, (c) => `\\${c}`);
    const r = await conn.daemon.db.pool.query<{ username: string }>(
      `SELECT username FROM users WHERE "realmId" = $1 AND "usernameKey" LIKE $2 AND status = 'ACTIVE' ORDER BY "usernameKey" LIMIT $3`,
      [conn.realm.id, `${key}%`, conn.daemon.config.limits.maxSearchResults],
    );
    if (!r.rows.length) return { status: "NORESULTS", data: "no matching users" };
    return { status: "OK", data: r.rows.map((x) => `${conn.realm.id}::${x.username}`) };
  },
});
