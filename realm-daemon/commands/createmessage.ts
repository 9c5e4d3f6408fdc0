import { createMessage, MESSAGE_LIMITS } from "../../lib/domain/messages.ts";
import { WITH_COMPUTER } from "../state.ts";
import { allLines, caller, messageIdArg, userIdArg } from "./args.ts";
import { checkRemoteRecipients } from "./remote-recipients.ts";
import { command } from "./types.ts";

/**
 * createmessage: message id (must start with your user id and "-"), then one recipient per
 * line: `userid` or `userid computer` (no computer = every computer of that user). Recipients
 * on other realms are checked with their realm first (docs/federation.md §4c): one that does
 * not exist there is NOSUCHUSER at once ("no such user carol on realm …"); a realm that cannot
 * be asked gets the message queued, and the OK data says so, one line per such realm:
 * `queued=<realm id> TAB <why>`. The original's forms are accepted for the id
 * (`realm:username-...`) and the user ids (`realm:username`), see args.ts.
 */
export default command({
  name: "createmessage",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const [id, ...lines] = allLines(args);
    if (!id || lines.length === 0)
      return { status: "BADARGUMENTS", data: "expected: message id, then one recipient per line (userid [computer])" };
    const recipients = lines
      .filter((l) => l.trim())
      .map((l) => {
        const [recipientId, computer = ""] = l.trim().split(/\s+/, 2);
        return { recipientId: userIdArg(recipientId), computer };
      });
    // Refused before other realms are asked: one request must not make this realm look up
    // thousands of others (the same limit createMessage applies, postmessage's count field too).
    if (recipients.length > MESSAGE_LIMITS.maxRecipients)
      return { status: "BADARGUMENTS", data: `At most ${MESSAGE_LIMITS.maxRecipients} recipients.` };
    const check = await checkRemoteRecipients(
      ctx,
      recipients.map((r) => r.recipientId),
    );
    if ("refusal" in check) return check.refusal;
    await createMessage(ctx.db, caller(ctx), messageIdArg(ctx, id), recipients, {
      retentionDays: ctx.realm.messageRetentionDays,
    });
    return { status: "OK", data: check.notes };
  },
});
