import { onlineComputers } from "../../lib/domain/presence.ts";
import { resolveLocalUser } from "../../lib/domain/settings.ts";
import { canSee } from "../../lib/domain/visibility.ts";
import { LOGGED_IN } from "../state.ts";
import { fields, userIdArg } from "./args.ts";
import { command } from "./types.ts";

/**
 * getuserstatus: user id. OK data: `online=true|false`, then `computer=<name>` for each
 * computer connected now (on any daemon instance with a live heartbeat).
 */
export default command({
  name: "getuserstatus",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [userId] = fields(args, ["user id"]);
    const target = await resolveLocalUser(ctx.db, ctx.realm.id, userIdArg(userId), ctx.session!.userId);
    // Visibility (setvisibility): a user who does not share their status is not shown offline
    // but refused, so a client can tell "hidden" from "away".
    if (!target.self && !(await canSee(ctx.db, ctx.session!.userId, target.id)))
      return { status: "UNAUTHORIZED", data: `${userId} does not share their online status with you` };
    const computers = await onlineComputers(ctx.db, target.id, ctx.limits.presenceStaleMs);
    return { status: "OK", data: [`online=${computers.length > 0}`, ...computers.map((c) => `computer=${c}`)] };
  },
});
