import { createComputer } from "../../lib/domain/computers.ts";
import { LOGGED_IN } from "../state.ts";
import { optionalFields } from "./args.ts";
import { command } from "./types.ts";

const NAME = /^[\p{L}\p{N}_.-]{1,64}$/u;

/**
 * createcomputer: name, and optionally the original's second field, the computer type (e.g.
 * `pc`). The type is accepted so that the original client's `name LF type` works, and not
 * stored: no command reads it (the original's getcomputerinfo is not implemented, see
 * docs/protocol.md). Refused past the realm's computers-per-user limit (checked under a lock).
 */
export default command({
  name: "createcomputer",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [name] = optionalFields(args, ["name", "type"], 1);
    if (!NAME.test(name))
      return { status: "BADCOMPUTER", data: "a computer name has 1 to 64 letters, digits, _ . or -" };
    await createComputer(ctx.db, ctx.session!.userId, name);
    return { status: "OK" };
  },
});
