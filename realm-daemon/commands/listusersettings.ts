import { LOGGED_IN } from "../state.ts";
import { optionalFields } from "./args.ts";
import { resolveLocalUser } from "./settings-store.ts";
import { command } from "./types.ts";

/** listusersettings: [user id [, computer]]. Keys, one per line (only "public-" keys of other users). */
export default command({
  name: "listusersettings",
  states: LOGGED_IN,
  async handle(conn, args) {
    const [userId, computer] = optionalFields(args, ["user id", "computer"], 0);
    const target = await resolveLocalUser(conn.daemon.db.pool, conn.realm.id, userId, conn.session!.userId);
    const r = await conn.daemon.db.pool.query<{ key: string }>(
      `SELECT key FROM settings WHERE "userId" = $1 AND computer = $2 ${target.self ? "" : "AND key LIKE 'public-%'"} ORDER BY key`,
      [target.id, computer],
    );
    return { status: "OK", data: r.rows.map((x) => x.key) };
  },
});
