// wschanges on the member's realm: many whole changes of one workspace in one request and one
// transaction (the outbox's batches, realm-daemon/federation/outbox-pipeline.ts). Same rules as
// wschangebegin/data/commit (workspace-mirror.ts), applied in order; the first change that cannot
// be taken ends the batch: what came before it is kept, it gets its own refusal, the rest are not
// looked at (the sender sends them again after it). Every step is idempotent by (workspace, seq).
import type pg from "pg";
import { DomainError } from "../domain/errors.ts";
import { tx } from "../db/tx.ts";
import { chargePeerBytes, releasePeerBytes } from "../domain/quota.ts";
import { parseUserId } from "../domain/usernames.ts";
import { WORKSPACE_LIMITS } from "../domain/workspaces.ts";
import { freeAcked } from "../domain/workspace-gc.ts";
import { queueMirrorAcks } from "../domain/workspace-federation.ts";
import { settleChange } from "./workspace-publish-mirror.ts";
import { lockMirror, notify, outOfOrder, type MirrorChange } from "./workspace-mirror.ts";

const B = WORKSPACE_LIMITS.blockBytes;

export interface BatchChange extends Omit<MirrorChange, "workspaceId"> {
  /** The id of the change's forwarded copy when it was published on this realm (null otherwise). */
  originChangeId: bigint | null;
  data: Buffer;
}

export type BatchResult = { seq: bigint; state: "new" | "complete" } | { seq: bigint; error: DomainError };

export async function receiveChangeBatch(
  pool: pg.Pool,
  localRealmId: string,
  peerRealmId: string,
  workspaceId: string,
  changes: BatchChange[],
  maxBytesPerPeer: number,
): Promise<BatchResult[]> {
  return tx(pool, async (c) => {
    const w = await lockMirror(c, localRealmId, peerRealmId, workspaceId);
    if (!w) throw new DomainError("NOSUCHWORKSPACE", `no workspace ${workspaceId} here`);
    const active = await c.query(
      `SELECT 1 FROM workspace_members WHERE "workspaceId" = $1 AND status = 'ACTIVE' LIMIT 1`,
      [w.id],
    );
    const out: BatchResult[] = [];
    let head = w.head;
    const added: bigint[] = [];
    for (const ch of changes) {
      const refuse = (error: DomainError) => out.push({ seq: ch.seq, error });
      const authorRealm = parseUserId(ch.authorId)?.realmId;
      if (authorRealm !== peerRealmId && authorRealm !== localRealmId) {
        refuse(new DomainError("UNAUTHORIZED", `realm ${peerRealmId} may not forward changes by ${ch.authorId}`));
        break;
      }
      if (BigInt(ch.data.length) !== ch.size) {
        refuse(new DomainError("BADARGUMENTS", `change ${ch.seq}: size ${ch.size} but ${ch.data.length} bytes`));
        break;
      }
      if (ch.originChangeId !== null) await settleChange(c, w.id, ch.originChangeId, { seq: ch.seq }, ch.authorId);
      if (ch.seq <= head) {
        out.push({ seq: ch.seq, state: "complete" });
        continue;
      }
      if (ch.seq > head + 1n) {
        refuse(outOfOrder(ch.seq, head));
        break;
      }
      if (!active.rowCount) {
        head = ch.seq;
        out.push({ seq: ch.seq, state: "complete" });
        continue;
      }
      // A transfer of this seq begun in steps and never committed gives way to the whole change.
      const staged = await c.query<{ id: bigint; size: bigint }>(
        `DELETE FROM workspace_changes WHERE "workspaceId" = $1 AND "stagedSeq" = $2 RETURNING id, size`,
        [w.id, ch.seq.toString()],
      );
      for (const s of staged.rows) await releasePeerBytes(c, peerRealmId, BigInt(s.size));
      if (!(await chargePeerBytes(c, peerRealmId, ch.size, maxBytesPerPeer))) {
        refuse(
          new DomainError(
            "QUOTAEXCEEDED",
            `realm ${localRealmId} already holds as many bytes from realm ${peerRealmId} as it allows (${maxBytesPerPeer}); its members must sync first`,
          ),
        );
        break;
      }
      const ins = await c.query<{ id: bigint }>(
        `INSERT INTO workspace_changes ("workspaceId", "authorId", "authorUserId", "authorComputer", size, seq, "sealedAt")
         VALUES ($1, $2, NULL, $3, $4, $5, now()) RETURNING id`,
        [w.id, ch.authorId, ch.authorComputer, ch.size.toString(), ch.seq.toString()],
      );
      const n = Math.ceil(ch.data.length / B);
      if (n > 0)
        await c.query(
          `INSERT INTO workspace_change_blocks ("changeId", block, data)
           SELECT $1, b - 1, d FROM unnest($2::bytea[]) WITH ORDINALITY AS x(d, b)`,
          [
            ins.rows[0].id.toString(),
            Array.from({ length: n }, (_, k) => ch.data.subarray(k * B, Math.min((k + 1) * B, ch.data.length))),
          ],
        );
      await notify(c, {
        kind: "change",
        workspaceId: w.id,
        seq: ch.seq.toString(),
        authorId: ch.authorId,
        authorComputer: ch.authorComputer,
      });
      head = ch.seq;
      added.push(ch.seq);
      out.push({ seq: ch.seq, state: "new" });
    }
    if (head !== w.head) {
      await c.query(`UPDATE workspaces SET "nextSeq" = $2 WHERE id = $1`, [w.id, (head + 1n).toString()]);
      for (const seq of added) await freeAcked(c, w.id, seq);
      if (added.length) await queueMirrorAcks(c, w.id, peerRealmId);
    }
    return out;
  });
}
