// Bytes of a workspace change arriving from another realm (wschangedata on a mirror,
// wspublishdata at the home realm): whole blocks only, never past the announced size, and a
// resent range overwrites what it covers, so a retried delivery is harmless.
import type pg from "pg";
import { DomainError } from "../domain/errors.ts";
import { WORKSPACE_LIMITS } from "../domain/workspaces.ts";

const B = WORKSPACE_LIMITS.blockBytes;

export async function storeRemoteChangeBlocks(
  c: pg.PoolClient,
  change: { id: bigint | string; size: bigint },
  offset: bigint,
  data: Buffer,
): Promise<void> {
  const end = offset + BigInt(data.length);
  if (end > change.size)
    throw new DomainError("INDEXOUTOFBOUNDS", `data ends at ${end}, past the announced size ${change.size}`);
  if (data.length % B !== 0 && end !== change.size)
    throw new DomainError("BADARGUMENTS", `send whole blocks of ${B} bytes (only the last may be shorter)`);
  for (let pos = 0; pos < data.length; pos += B)
    await c.query(
      `INSERT INTO workspace_change_blocks ("changeId", block, data) VALUES ($1, $2, $3) ON CONFLICT ("changeId", block) DO UPDATE SET data = EXCLUDED.data`,
      [
        change.id.toString(),
        Number((offset + BigInt(pos)) / BigInt(B)),
        data.subarray(pos, Math.min(pos + B, data.length)),
      ],
    );
}
