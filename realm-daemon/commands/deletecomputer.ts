import { DomainError } from "../../lib/domain/errors.ts";
import { deleteMessage } from "../../lib/domain/messages.ts";
import { LOGGED_IN } from "../state.ts";
import { caller, fields } from "./args.ts";
import { command } from "./types.ts";

/**
 * deletecomputer: name. The computer's pending deliveries are deleted as that computer would
 * delete them, so the senders' bytes are released when it was the last recipient.
 */
export default command({
  name: "deletecomputer",
  states: LOGGED_IN,
  async handle(conn, args) {
    const [name] = fields(args, ["name"]);
    const s = conn.session!;
    const pool = conn.daemon.db.pool;
    const exists = await pool.query(`SELECT 1 FROM computers WHERE "userId" = $1 AND name = $2`, [s.userId, name]);
    if (!exists.rowCount) throw new DomainError("NOSUCHCOMPUTER", `no computer "${name}"`);
    const pending = await pool.query<{ messageId: string }>(
      `SELECT m."messageId" FROM message_recipients mr JOIN messages m ON m.id = mr."messageId" WHERE mr."userId" = $1 AND mr.computer = $2 AND m."sentAt" IS NOT NULL`,
      [s.userId, name],
    );
    const as = { ...caller(conn), computer: name };
    for (const p of pending.rows) await deleteMessage(pool, as, p.messageId).catch(() => undefined);
    await pool.query(`DELETE FROM message_recipients WHERE "userId" = $1 AND computer = $2`, [s.userId, name]);
    await pool.query(`DELETE FROM settings WHERE "userId" = $1 AND computer = $2`, [s.userId, name]);
    await pool.query(`DELETE FROM computers WHERE "userId" = $1 AND name = $2`, [s.userId, name]);
    for (const c of conn.daemon.connections) {
      if (c !== conn && c.session?.userId === s.userId && c.session.computer === name) {
        c.notify("banned", "this computer was removed from the account");
        c.close("computer deleted");
      }
    }
    return { status: "OK" };
  },
});
