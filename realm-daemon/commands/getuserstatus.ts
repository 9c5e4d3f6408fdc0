import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { resolveLocalUser } from "./settings-store.ts";
import { command } from "./types.ts";

/**
 * getuserstatus: user id. OK data: `online=true|false`, then `computer=<name>` for each
 * computer connected now (on any daemon instance with a live heartbeat).
 */
export default command({
  name: "getuserstatus",
  states: LOGGED_IN,
  async handle(conn, args) {
    const [userId] = fields(args, ["user id"]);
    const pool = conn.daemon.db.pool;
    const target = await resolveLocalUser(pool, conn.realm.id, userId, conn.session!.userId);
    const r = await pool.query<{ computer: string }>(
      `SELECT DISTINCT p.computer FROM presences p JOIN daemon_instances d ON d.id = p."instanceId"
        WHERE p."userId" = $1 AND d."heartbeatAt" > now() - $2 * interval '1 millisecond' ORDER BY 1`,
      [target.id, conn.daemon.config.limits.presenceStaleMs],
    );
    return { status: "OK", data: [`online=${r.rows.length > 0}`, ...r.rows.map((x) => `computer=${x.computer}`)] };
  },
});
