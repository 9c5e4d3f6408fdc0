import { splitWithTrailingData, ProtocolError } from "../../../lib/protocol/index.ts";
import { writeMirrorChange } from "../../../lib/federation/workspace-mirror.ts";
import { bigNumber, workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** wschangedata: workspace id, seq, offset, length, then the bytes (whole 64 KiB blocks; only the last may be short). OK. */
export default peerCommand({
  name: "wschangedata",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const f = splitWithTrailingData(args, 4, 3);
    if (!f.ok)
      throw new ProtocolError("BADARGUMENTS", `expected: workspace, seq, offset, length, data (${f.error.reason})`);
    const [ws, seq, offset] = f.value.fields;
    await writeMirrorChange(
      ctx.db,
      ctx.realm.id,
      ctx.peerRealmId,
      workspaceId(ws),
      bigNumber(seq, "seq"),
      bigNumber(offset, "offset"),
      f.value.data,
    );
    return { status: "OK" };
  },
});
