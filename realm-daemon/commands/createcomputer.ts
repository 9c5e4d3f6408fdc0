import { DomainError } from "../../lib/domain/errors.ts";
import { tx } from "../../lib/db/tx.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

const NAME = /^[\p{L}\p{N}_.-]{1,64}$/u;

/** createcomputer: name. Refused past the realm's computers-per-user limit (checked under a lock). */
export default command({
  name: "createcomputer",
  states: LOGGED_IN,
  async handle(conn, args) {
    const [name] = fields(args, ["name"]);
    if (!NAME.test(name))
      return { status: "BADCOMPUTER", data: "a computer name has 1 to 64 letters, digits, _ . or -" };
    const s = conn.session!;
    await tx(conn.daemon.db.pool, async (c) => {
      // Lock the user row so parallel createcomputer calls cannot exceed the limit.
      const u = await c.query<{ max: number }>(
        `SELECT r."maxComputersPerUser" AS max FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1 FOR UPDATE OF u`,
        [s.userId],
      );
      const n = await c.query<{ n: string }>(`SELECT count(*) AS n FROM computers WHERE "userId" = $1`, [s.userId]);
      if (Number(n.rows[0].n) >= u.rows[0].max)
        throw new DomainError(
          "QUOTAEXCEEDED",
          `this realm allows at most ${u.rows[0].max} computers per user; delete one first`,
        );
      const ins = await c.query(
        `INSERT INTO computers (id, "userId", name) VALUES (gen_random_uuid(), $1, $2) ON CONFLICT ("userId", name) DO NOTHING`,
        [s.userId, name],
      );
      if (!ins.rowCount) throw new DomainError("ALREADYEXISTS", `you already have a computer named "${name}"`);
      // Messages addressed to "all computers" while the user had none now belong to this one.
      await c.query(`UPDATE message_recipients SET computer = $2 WHERE "userId" = $1 AND computer = ''`, [
        s.userId,
        name,
      ]);
    });
    return { status: "OK" };
  },
});
