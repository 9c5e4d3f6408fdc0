import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { putSetting } from "./settings-store.ts";
import { command } from "./types.ts";

/** deleteusersetting: key. */
export default command({
  name: "deleteusersetting",
  states: LOGGED_IN,
  async handle(conn, args) {
    const [key] = fields(args, ["key"]);
    await putSetting(conn.daemon.db.pool, conn.session!.userId, "", key, null);
    return { status: "OK" };
  },
});
