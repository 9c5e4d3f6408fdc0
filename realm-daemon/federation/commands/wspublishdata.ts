import { splitWithTrailingData, ProtocolError } from "../../../lib/protocol/index.ts";
import { writeRemotePublish } from "../../../lib/federation/workspace-publish-home.ts";
import { bigNumber, workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** wspublishdata: workspace id, change id, offset, length, then the bytes (whole 64 KiB blocks; only the last may be short). OK. */
export default peerCommand({
  name: "wspublishdata",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const f = splitWithTrailingData(args, 4, 3);
    if (!f.ok)
      throw new ProtocolError(
        "BADARGUMENTS",
        `expected: workspace, change id, offset, length, data (${f.error.reason})`,
      );
    const [ws, changeId, offset] = f.value.fields;
    await writeRemotePublish(
      ctx.db,
      ctx.peerRealmId,
      workspaceId(ws),
      bigNumber(changeId, "change id").toString(),
      bigNumber(offset, "offset"),
      f.value.data,
    );
    return { status: "OK" };
  },
});
