import { deleteComputer } from "../../lib/domain/computers.ts";
import { LOGGED_IN } from "../state.ts";
import { caller, fields } from "./args.ts";
import { command } from "./types.ts";

/**
 * deletecomputer: name. The computer's pending deliveries are deleted as that computer would
 * delete them, so the senders' bytes are released when it was the last recipient (shared with
 * the web account page: lib/domain/computers.ts). Its live sessions, on any instance, get
 * `banned` through the user-change notification deleteComputer sends.
 */
export default command({
  name: "deletecomputer",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [name] = fields(args, ["name"]);
    const { realmId, userId, fullId } = caller(ctx);
    await deleteComputer(ctx.db, { realmId, userId, fullId }, name);
    return { status: "OK" };
  },
});
