import { dummyHash, verifyPassword } from "../../lib/auth/password.ts";
import { foldUsername } from "../../lib/domain/usernames.ts";
import { hitRateLimit, peekRateLimit, resetRateLimit } from "../../lib/domain/rate-limit.ts";
import { LOGIN_LIMITS, loginAccountBucket, loginIpBucket } from "../../lib/domain/login-limits.ts";
import { ConnectionState } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/**
 * authenticate: username (or full user id), computer name (blank = account management only),
 * password. BADAUTH for a wrong name or password (which one is not revealed); BADCOMPUTER for
 * an unknown computer; UNAUTHORIZED for a suspended account; RATELIMITED after repeated failures.
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
    const bucket = loginAccountBucket(realm.id, username);
    const ipBucket = loginIpBucket(conn.remoteIp);
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
    if (!u || !good) {
      const a = await hitRateLimit(pool, bucket, limits.authFailuresPerWindow, limits.authFailureWindowMs);
      const b = await hitRateLimit(pool, ipBucket, LOGIN_LIMITS.ip.limit, LOGIN_LIMITS.ip.windowMs);
      if (!a.allowed || !b.allowed)
        return {
          status: "RATELIMITED",
          data: `too many failed logins; try again in ${Math.ceil(Math.max(a.retryAfterMs, b.retryAfterMs) / 60_000)} minute(s)`,
        };
      return { status: "BADAUTH", data: "wrong username or password" };
    }
    if ((await peekRateLimit(pool, bucket, limits.authFailureWindowMs)) >= limits.authFailuresPerWindow)
      return { status: "RATELIMITED", data: "too many failed logins for this account; try again later" };
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
    await resetRateLimit(pool, bucket);
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
