import { listComputers } from "../../lib/domain/computers.ts";
import { resolveLocalUser } from "../../lib/domain/settings.ts";
import { LOGGED_IN } from "../state.ts";
import { optionalFields, userIdArg } from "./args.ts";
import { command } from "./types.ts";

/**
 * listcomputers [user id]: one computer name per line. With another user of this realm, that
 * user's computers: senders need them to encrypt a message for each computer's published key
 * (docs/clients.md); the names are what getusersetting takes for their "public-" settings.
 */
export default command({
  name: "listcomputers",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [userId] = optionalFields(args, ["user id"], 0);
    const target = await resolveLocalUser(ctx.db, ctx.realm.id, userIdArg(userId), ctx.session!.userId);
    return { status: "OK", data: await listComputers(ctx.db, target.id) };
  },
});
