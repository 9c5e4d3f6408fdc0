import { hashPassword, verifyPassword } from "../../lib/auth/password.ts";
import { checkPassword } from "../../lib/domain/usernames.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/** setpassword: current password, new password. Other sessions of the account stay logged in. */
export default command({
  name: "setpassword",
  states: LOGGED_IN,
  async handle(conn, args) {
    const [current, next] = fields(args, ["current password", "new password"]);
    const s = conn.session!;
    const pool = conn.daemon.db.pool;
    const r = await pool.query<{ passwordHash: string }>(`SELECT "passwordHash" FROM users WHERE id = $1`, [s.userId]);
    if (!r.rows[0] || !(await verifyPassword(r.rows[0].passwordHash, current)))
      return { status: "BADAUTH", data: "the current password is wrong" };
    const bad = checkPassword(next, s.username);
    if (bad) return { status: bad.code, data: bad.message };
    await pool.query(`UPDATE users SET "passwordHash" = $2 WHERE id = $1`, [s.userId, await hashPassword(next)]);
    return { status: "OK" };
  },
});
