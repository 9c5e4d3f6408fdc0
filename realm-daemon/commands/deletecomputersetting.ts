import { ProtocolError } from "../../lib/protocol/index.ts";
import { deleteComputerSetting } from "../../lib/domain/settings.ts";
import { LOGGED_IN } from "../state.ts";
import { optionalFields } from "./args.ts";
import { command } from "./types.ts";

/**
 * deletecomputersetting: key — a setting of the computer this session logged in from; or
 * computer, key (the original's computer-first order, as setcomputersetting took it; a blank
 * computer is this one) — a setting of another of the account's computers, also from an
 * account-only session. Its bytes are released; subscribers hear of it. NOSUCHCOMPUTER for an
 * unknown computer, NORESULTS when the setting is not set.
 */
export default command({
  name: "deletecomputersetting",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const f = optionalFields(args, ["computer", "key"], 1);
    // One field is the key; two are computer and key.
    const [computer, key] = f[1] === "" ? [ctx.session!.computer, f[0]] : [f[0] || ctx.session!.computer, f[1]];
    if (!computer) throw new ProtocolError("BADARGUMENTS", "name the computer (this session logged in without one)");
    await deleteComputerSetting(ctx.db, ctx.session!.userId, computer, key);
    return { status: "OK" };
  },
});
