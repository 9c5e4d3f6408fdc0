import { hashPassword, verifyPassword } from "../../lib/auth/password.ts";
import { checkPassword } from "../../lib/domain/usernames.ts";
import {
  beginLoginAttempt,
  LOCKOUT_REASON,
  loginAccountBucket,
  loginIpBucket,
  loginSucceeded,
} from "../../lib/domain/login-limits.ts";
import { changeUserPassword } from "../../lib/domain/password-change.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/**
 * setpassword: current password, new password. The current password is checked under the same
 * limits as authenticate (a stolen session cannot be used to guess it); a change ends every
 * other session of the account (lib/domain/password-change.ts), this one stays.
 */
export default command({
  name: "setpassword",
  states: LOGGED_IN,
  async handle(conn, args) {
    const [current, next] = fields(args, ["current password", "new password"]);
    const s = conn.session!;
    const pool = conn.daemon.db.pool;
    const limits = conn.daemon.config.limits;
    const buckets = {
      account: loginAccountBucket(conn.realm.id, s.username),
      ip: loginIpBucket(conn.remoteIp),
      accountRule: { limit: limits.authFailuresPerWindow, windowMs: limits.authFailureWindowMs },
    };
    if (!(await beginLoginAttempt(pool, buckets))) return { status: "RATELIMITED", data: LOCKOUT_REASON };
    const r = await pool.query<{ passwordHash: string }>(`SELECT "passwordHash" FROM users WHERE id = $1`, [s.userId]);
    if (!r.rows[0] || !(await verifyPassword(r.rows[0].passwordHash, current)))
      return { status: "BADAUTH", data: "the current password is wrong" };
    await loginSucceeded(pool, buckets);
    const bad = checkPassword(next, s.username);
    if (bad) return { status: bad.code, data: bad.message };
    const hash = await hashPassword(next);
    // This session takes the new epoch before the change is announced, so only the others end.
    const before = s.sessionEpoch;
    s.sessionEpoch = before + 1;
    const epoch = await changeUserPassword(pool, s.userId, hash).catch((e: unknown) => {
      s.sessionEpoch = before;
      throw e;
    });
    if (epoch !== null) s.sessionEpoch = epoch;
    conn.log.info({ userId: s.userId }, "password changed; other sessions end");
    return { status: "OK" };
  },
});
