import { listComputers } from "../../lib/domain/computers.ts";
import { resolveLocalUser } from "../../lib/domain/settings.ts";
import { LOGGED_IN } from "../state.ts";
import { allLines, userIdArg } from "./args.ts";
import { ProtocolError } from "../../lib/protocol/index.ts";
import { command } from "./types.ts";
import { isRemoteUser, remoteComputers } from "./remote-keys.ts";

/**
 * listcomputers [user id]: one computer name per line. With another user of this realm, that
 * user's computers (the original's own username, or nothing, lists one's own): senders need them to encrypt a message for each computer's published key
 * (docs/clients.md); the names are what getusersetting takes for their "public-" settings. A
 * user of another realm is looked up on that realm (federation, cached a few seconds).
 */
export default command({
  name: "listcomputers",
  states: LOGGED_IN,
  async handle(ctx, args) {
    // One optional field; the original client sends its username and a newline ("alice\n").
    const lines = allLines(args);
    if (lines.length > 2 || (lines.length === 2 && lines[1] !== ""))
      throw new ProtocolError("BADARGUMENTS", "expected 0 to 1 field(s): user id");
    const userId = lines[0] ?? "";
    // A user of another realm: the computers that realm lists (asked over federation).
    if (userId && isRemoteUser(ctx, userIdArg(userId)))
      return { status: "OK", data: (await remoteComputers(ctx, userIdArg(userId))).map((c) => c.computer) };
    const target = await resolveLocalUser(ctx.db, ctx.realm.id, userIdArg(userId), ctx.session!.userId);
    return { status: "OK", data: await listComputers(ctx.db, target.id) };
  },
});
