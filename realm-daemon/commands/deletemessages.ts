import { DomainError } from "../../lib/domain/errors.ts";
import { WITH_COMPUTER } from "../state.ts";
import { idLines, caller } from "./args.ts";
import { command } from "./types.ts";

const MAX_IDS = 1000;

/**
 * deletemessages: one message id per line (at most 1000). `deletemessage` for each, all in the
 * same group-commit batch. OK data: one line per id, in order: `OK <bytes released>` or the
 * status word and reason of that id's failure (the others are not affected).
 */
export default command({
  name: "deletemessages",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const ids = idLines(args, MAX_IDS);
    const who = caller(ctx);
    const lines = await Promise.all(
      ids.map((id) =>
        ctx.messages.delete(who, id).then(
          (r) => `OK ${r.released}`,
          (e: unknown) => {
            if (e instanceof DomainError) return `${e.code} ${e.message}`;
            throw e;
          },
        ),
      ),
    );
    return { status: "OK", data: lines };
  },
});
