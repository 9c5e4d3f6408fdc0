import { dummyHash, verifyPassword } from "../../lib/auth/password.ts";
import { foldUsername } from "../../lib/domain/usernames.ts";
import {
  beginLoginAttempt,
  LOCKOUT_REASON,
  loginAccountBucket,
  loginIpBucket,
  loginSucceeded,
  type LoginBuckets,
} from "../../lib/domain/login-limits.ts";
import { ConnectionState } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/**
 * authenticate: username (or full user id), computer name (blank = account management only),
 * password. BADAUTH for a wrong name or password (which one is not revealed); BADCOMPUTER for
 * an unknown computer; UNAUTHORIZED for a suspended account; RATELIMITED after repeated failures
 * (per account and per address, checked before the password: lib/domain/login-limits.ts).
 */
export default command({
  name: "authenticate",
  states: [ConnectionState.Anonymous],
  async handle(conn, args) {
    const [rawName, computer, password] = fields(args, ["username", "computer", "password"]);
    const realm = conn.realm;
    const pool = conn.daemon.db.pool;
    const limits = conn.daemon.config.limits;
    let username = rawName;
    if (rawName.includes("::")) {
      const at = rawName.lastIndexOf("::");
      if (rawName.slice(0, at).toLowerCase() !== realm.id.toLowerCase())
        return { status: "BADAUTH", data: `this is realm ${realm.id}; log in to your own realm` };
      username = rawName.slice(at + 2);
    }
    const key = foldUsername(username);
    const buckets: LoginBuckets = {
      account: loginAccountBucket(realm.id, username),
      ip: loginIpBucket(conn.remoteIp),
      accountRule: { limit: limits.authFailuresPerWindow, windowMs: limits.authFailureWindowMs },
    };
    // The limits first (account and address), before any lookup or hashing: during a lockout
    // every attempt gets the same answer, right password or not.
    if (!(await beginLoginAttempt(pool, buckets))) return { status: "RATELIMITED", data: LOCKOUT_REASON };
    const r = await pool.query<{
      id: string;
      username: string;
      passwordHash: string;
      status: string;
      sessionEpoch: number;
    }>(
      `SELECT id, username, "passwordHash", status, "sessionEpoch" FROM users WHERE "realmId" = $1 AND "usernameKey" = $2`,
      [realm.id, key],
    );
    const u = r.rows[0];
    const good = await verifyPassword(u?.passwordHash ?? (await dummyHash()), password);
    if (!u || !good) return { status: "BADAUTH", data: "wrong username or password" };
    await loginSucceeded(pool, buckets);
    if (u.status !== "ACTIVE")
      return { status: "UNAUTHORIZED", data: "this account is suspended; contact the realm's operator" };
    if (computer) {
      const c = await pool.query(`UPDATE computers SET "lastSeenAt" = now() WHERE "userId" = $1 AND name = $2`, [
        u.id,
        computer,
      ]);
      if (!c.rowCount)
        return {
          status: "BADCOMPUTER",
          data: `no computer "${computer}" on this account; log in without a computer name and use createcomputer`,
        };
    }
    await pool.query(`UPDATE users SET "lastLoginAt" = now() WHERE id = $1`, [u.id]);
    conn.session = {
      userId: u.id,
      username: u.username,
      fullId: `${realm.id}::${u.username}`,
      computer,
      sessionEpoch: u.sessionEpoch,
    };
    conn.state = computer ? ConnectionState.Authenticated : ConnectionState.AccountOnly;
    if (computer) {
      await pool.query(
        `INSERT INTO presences ("connectionId", "instanceId", "realmId", "userId", computer) VALUES ($1, $2, $3, $4, $5)`,
        [conn.id, conn.daemon.instanceId, realm.id, u.id, computer],
      );
    }
    conn.log.info({ userId: u.id, computer }, "authenticated");
    return { status: "OK", data: `userid=${conn.session.fullId}` };
  },
});
