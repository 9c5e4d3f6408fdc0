import { hitRateLimit } from "../../lib/domain/rate-limit.ts";
import { postImmediateMessage } from "../../lib/domain/immediate-messages.ts";
import { WITH_COMPUTER } from "../state.ts";
import { fields } from "./args.ts";
import { resolveLocalUser } from "./settings-store.ts";
import { command } from "./types.ts";

/**
 * sendimessage: user id, computer, text. A small immediate message to a computer that is
 * online now (on any instance); nothing is stored. The recipient's rate (per sender, per minute,
 * set by the realm or per user) limits each sender: past it, RATELIMITED to the sender and
 * `imessagerejected` is not needed because nothing was delivered. NOSUCHCOMPUTER when offline.
 * The body is stored for a moment and its id notified (lib/domain/immediate-messages.ts).
 */
export default command({
  name: "sendimessage",
  states: WITH_COMPUTER,
  async handle(conn, args) {
    const [userId, computer, text] = fields(args, ["user id", "computer", "text"]);
    const pool = conn.daemon.db.pool;
    if (Buffer.byteLength(text) > conn.daemon.config.limits.maxImessageBytes)
      return {
        status: "TOOLARGE",
        data: `an immediate message has at most ${conn.daemon.config.limits.maxImessageBytes} bytes`,
      };
    const target = await resolveLocalUser(pool, conn.realm.id, userId, conn.session!.userId);
    const rate = await pool.query<{ rate: number }>(
      `SELECT COALESCE(u."imessageRatePerMinute", r."imessageRatePerMinute") AS rate FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1`,
      [target.id],
    );
    const online = await pool.query(
      `SELECT 1 FROM presences p JOIN daemon_instances d ON d.id = p."instanceId" WHERE p."userId" = $1 AND p.computer = $2 AND d."heartbeatAt" > now() - $3 * interval '1 millisecond' LIMIT 1`,
      [target.id, computer, conn.daemon.config.limits.presenceStaleMs],
    );
    if (!online.rowCount)
      return { status: "NOSUCHCOMPUTER", data: `${userId} is not online on computer "${computer}"` };
    const limit = await hitRateLimit(pool, `im:${target.id}:${conn.session!.userId}`, rate.rows[0].rate, 60_000);
    if (!limit.allowed) {
      conn.notify("imessagerejected", [
        userId,
        computer,
        `rate limit of ${rate.rows[0].rate} per minute reached; try again in ${Math.ceil(limit.retryAfterMs / 1000)} s`,
      ]);
      return {
        status: "RATELIMITED",
        data: `the recipient accepts at most ${rate.rows[0].rate} immediate messages per minute from you`,
      };
    }
    await postImmediateMessage(pool, {
      userId: target.id,
      computer,
      fromUserId: conn.session!.fullId,
      fromComputer: conn.session!.computer!,
      body: text,
    });
    return { status: "OK" };
  },
});
