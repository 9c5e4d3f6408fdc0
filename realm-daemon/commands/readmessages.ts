import { readFirstBlocks, READ_MANY_MAX_IDS } from "../../lib/domain/message-read-many.ts";
import { encodeReadMany } from "../../lib/protocol/read-many.ts";
import { WITH_COMPUTER } from "../state.ts";
import { idLines, caller, messageIdArg } from "./args.ts";
import { command } from "./types.ts";

/**
 * readmessages: one message id per line (1 to 256). OK data: per id, in order, `OK <size>
 * <length>` and the first `length` bytes of the message (its first block, while the reply has
 * room), or that id's status word and reason (lib/protocol/read-many.ts). One query for all.
 */
export default command({
  name: "readmessages",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const ids = idLines(args, READ_MANY_MAX_IDS);
    // Room for the entry lines (an error line repeats its id) and the reply's header within
    // the packet limit.
    const budget = ctx.limits.maxPacketBytes - 1024 - ids.reduce((a, id) => a + Buffer.byteLength(id) + 64, 0);
    const entries = await readFirstBlocks(
      ctx.db,
      caller(ctx),
      ids.map((id) => messageIdArg(ctx, id)),
      Math.max(0, budget),
    );
    return { status: "OK", data: encodeReadMany(entries) };
  },
});
