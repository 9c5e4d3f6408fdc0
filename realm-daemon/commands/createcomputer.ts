import { createComputer } from "../../lib/domain/computers.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

const NAME = /^[\p{L}\p{N}_.-]{1,64}$/u;

/** createcomputer: name. Refused past the realm's computers-per-user limit (checked under a lock). */
export default command({
  name: "createcomputer",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [name] = fields(args, ["name"]);
    if (!NAME.test(name))
      return { status: "BADCOMPUTER", data: "a computer name has 1 to 64 letters, digits, _ . or -" };
    await createComputer(ctx.db, ctx.session!.userId, name);
    return { status: "OK" };
  },
});
