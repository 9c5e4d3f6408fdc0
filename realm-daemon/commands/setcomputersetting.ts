import { WITH_COMPUTER } from "../state.ts";
import { fields } from "./args.ts";
import { putSetting } from "./settings-store.ts";
import { command } from "./types.ts";

/** setcomputersetting: key, value — a setting of the computer this session logged in from. */
export default command({
  name: "setcomputersetting",
  states: WITH_COMPUTER,
  async handle(conn, args) {
    const [key, value] = fields(args, ["key", "value"]);
    await putSetting(conn.daemon.db.pool, conn.session!.userId, conn.session!.computer, key, value);
    return { status: "OK" };
  },
});
