import { LOGGED_IN } from "../state.ts";
import { command } from "./types.ts";

/** listcomputers: one computer name per line. */
export default command({
  name: "listcomputers",
  states: LOGGED_IN,
  async handle(conn) {
    const r = await conn.daemon.db.pool.query<{ name: string }>(
      `SELECT name FROM computers WHERE "userId" = $1 ORDER BY "createdAt", name`,
      [conn.session!.userId],
    );
    return { status: "OK", data: r.rows.map((x) => x.name) };
  },
});
