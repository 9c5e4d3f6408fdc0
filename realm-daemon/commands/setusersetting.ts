import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { putSetting } from "./settings-store.ts";
import { command } from "./types.ts";

/** setusersetting: key, value. Keys starting with "public-" are readable by other users. */
export default command({
  name: "setusersetting",
  states: LOGGED_IN,
  async handle(conn, args) {
    const [key, value] = fields(args, ["key", "value"]);
    await putSetting(conn.daemon.db.pool, conn.session!.userId, "", key, value);
    return { status: "OK" };
  },
});
