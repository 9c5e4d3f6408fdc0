import { imessageRate } from "../../lib/domain/imessage-quotas.ts";
import { resolveLocalUser } from "../../lib/domain/settings.ts";
import { LOGGED_IN } from "../state.ts";
import { fields } from "./args.ts";
import { command } from "./types.ts";

/** getremoteimessagequota: user id. → the immediate messages per minute that user accepts from you. */
export default command({
  name: "getremoteimessagequota",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [user] = fields(args, ["user id"]);
    const target = await resolveLocalUser(ctx.db, ctx.realm.id, user, ctx.session!.userId);
    return { status: "OK", data: String(await imessageRate(ctx.db, target.id, ctx.session!.userId)) };
  },
});
