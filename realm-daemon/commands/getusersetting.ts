import { LOGGED_IN } from "../state.ts";
import { optionalFields } from "./args.ts";
import { resolveLocalUser } from "./settings-store.ts";
import { command } from "./types.ts";

/**
 * getusersetting: key [, user id [, computer]]. Another user's settings are readable only for
 * keys starting with "public-". NORESULTS when unset.
 */
export default command({
  name: "getusersetting",
  states: LOGGED_IN,
  async handle(conn, args) {
    const [key, userId, computer] = optionalFields(args, ["key", "user id", "computer"], 1);
    const target = await resolveLocalUser(conn.daemon.db.pool, conn.realm.id, userId, conn.session!.userId);
    if (!target.self && !key.startsWith("public-"))
      return {
        status: "UNAUTHORIZED",
        data: 'only settings whose key starts with "public-" are readable by other users',
      };
    const r = await conn.daemon.db.pool.query<{ value: string }>(
      `SELECT value FROM settings WHERE "userId" = $1 AND computer = $2 AND key = $3`,
      [target.id, computer, key],
    );
    if (!r.rows[0]) return { status: "NORESULTS", data: `no setting "${key}"` };
    return { status: "OK", data: r.rows[0].value };
  },
});
