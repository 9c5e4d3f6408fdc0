import { splitWithTrailingData, ProtocolError } from "../../../lib/protocol/index.ts";
import { receiveChangeBatch, type BatchChange } from "../../../lib/federation/workspace-mirror-batch.ts";
import { bigNumber, workspaceId } from "../../commands/workspace-args.ts";
import { PeerState, peerCommand } from "../peer-state.ts";

/** Changes one wschanges request may carry. */
export const MAX_BATCH_CHANGES = 64;

/**
 * wschanges (home realm → member's realm): whole changes of one workspace, in seq order, in one
 * request: workspace id, count, total bytes, then for each change seq, size, author id, author
 * computer, origin change id ("" unless it was published on this realm); then every change's
 * bytes one after the other. OK with one line per change looked at: "<seq> new" (stored now),
 * "<seq> complete" (had it already, or nobody here takes changes), or for the first one that
 * cannot be taken "<seq> <STATUS> <reason>" (FAIL: an earlier change is missing, retry later;
 * QUOTAEXCEEDED: over the home realm's allowance here); the changes after it are not looked at.
 * Bigger changes go by wschangebegin/data/commit. docs/federation.md §4b.
 */
export default peerCommand({
  name: "wschanges",
  states: [PeerState.Authenticated],
  async handle(ctx, args) {
    const head = args.subarray(0, 200).toString("latin1").split("\n");
    const count = /^\d{1,3}$/.test(head[1] ?? "") ? Number(head[1]) : NaN;
    if (!(count >= 1 && count <= MAX_BATCH_CHANGES))
      throw new ProtocolError("BADARGUMENTS", `count must be 1 to ${MAX_BATCH_CHANGES}`);
    const f = splitWithTrailingData(args, 3 + 5 * count, 2);
    if (!f.ok)
      throw new ProtocolError(
        "BADARGUMENTS",
        `expected: workspace, count, total bytes, then per change seq, size, author, author computer, origin; then the data (${f.error.reason})`,
      );
    const [ws, , , ...rest] = f.value.fields;
    const data = f.value.data;
    const changes: BatchChange[] = [];
    let off = 0;
    for (let k = 0; k < count; k++) {
      const [seq, size, authorId, authorComputer, origin] = rest.slice(5 * k, 5 * k + 5);
      const n = bigNumber(size, "size");
      if (BigInt(off) + n > BigInt(data.length))
        throw new ProtocolError("BADARGUMENTS", "the sizes add up to more than the data sent");
      changes.push({
        seq: bigNumber(seq, "seq"),
        size: n,
        authorId,
        authorComputer,
        originChangeId: origin ? bigNumber(origin, "origin change id") : null,
        data: data.subarray(off, off + Number(n)),
      });
      off += Number(n);
    }
    if (off !== data.length) throw new ProtocolError("BADARGUMENTS", "the sizes do not add up to the data sent");
    const results = await receiveChangeBatch(
      ctx.db,
      ctx.realm.id,
      ctx.peerRealmId,
      workspaceId(ws),
      changes,
      ctx.limits.maxInboundBytesPerPeer,
    );
    return {
      status: "OK",
      data: results
        .map((r) =>
          "state" in r ? `${r.seq} ${r.state}` : `${r.seq} ${r.error.code} ${r.error.message.replace(/[\r\n]+/g, " ")}`,
        )
        .join("\n"),
    };
  },
});
