import { ProtocolError, splitWithTrailingData } from "../../lib/protocol/index.ts";
import { writeChange } from "../../lib/domain/workspace-changes.ts";
import { WITH_COMPUTER } from "../state.ts";
import { caller } from "./args.ts";
import { bigNumber } from "./workspace-args.ts";
import { command } from "./types.ts";

/**
 * workspacewrite: handle, offset, length, then `length` bytes (the last bytes of the packet).
 * Appends: the offset must be the change's current size (INDEXOUTOFBOUNDS names the right one).
 * The bytes are stored and charged to the author before the reply; over the quota or the
 * realm's maximum the whole change is discarded (QUOTAEXCEEDED). OK data: `size=<bytes>`.
 */
export default command({
  name: "workspacewrite",
  states: WITH_COMPUTER,
  async handle(ctx, args) {
    const r = splitWithTrailingData(args, 3, 2);
    if (!r.ok) throw new ProtocolError("BADARGUMENTS", `expected: handle, offset, length, data (${r.error.reason})`);
    const [handle, offset] = r.value.fields;
    const size = await writeChange(
      ctx.db,
      caller(ctx),
      bigNumber(handle, "handle"),
      bigNumber(offset, "offset"),
      r.value.data,
    );
    return { status: "OK", data: `size=${size}` };
  },
});
