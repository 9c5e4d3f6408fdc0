// The workspace change log: publish (begin, append chunks, seal), pull, read and acknowledge.
//
// A change is an opaque blob. Its bytes go straight to 64 KiB block rows as each chunk arrives
// (nothing is buffered beyond one chunk), and are charged to the author's quota chunk by chunk.
// Until it is sealed a change has no sequence number and no reader can see it. Sealing takes the
// workspace lock and assigns the workspace's next sequence number, so concurrent publishes get
// one total order. Each member computer has a cursor (the highest sequence number it has
// acknowledged); workspace-gc.ts frees a change once no other pinning cursor is behind it.
// On a mirror (a workspace of another realm) sealing does not order the change: it is
// forwarded to the home realm (workspace-publish-mirror.ts), and the seal answers seq 0.
import type pg from "pg";
import { DomainError } from "./errors.ts";
import { chargeBytes, getQuotas } from "./quota.ts";
import { dropChange, freeAcked, type Freed } from "./workspace-gc.ts";
import { requireActive, touchMember, WORKSPACE_LIMITS, type Caller } from "./workspaces.ts";
import { tx } from "../db/tx.ts";
import { queueMirrorAck, queueRemoteChange, queueRemotePublish } from "./workspace-federation.ts";
import { CHANNELS } from "../db/notify.ts";
import { named } from "../db/named.ts";

const B = WORKSPACE_LIMITS.blockBytes;

interface OpenChange {
  id: bigint;
  workspaceId: string;
  authorId: string;
  authorUserId: string;
  authorComputer: string;
  size: bigint;
  seq: bigint | null;
  maxBytes: bigint;
}

const gone = (handle: bigint) =>
  new DomainError(
    "NOSUCHMESSAGE",
    `No open workspace change ${handle}: it was sealed, aborted, discarded (over quota or size limit), or dropped because you left, were removed or were suspended.`,
  );

/** Locks the caller's unsealed change. The caller must already hold the workspace lock if it takes one. */
async function lockOpen(c: pg.PoolClient, caller: Caller, handle: bigint): Promise<OpenChange> {
  const r = await c.query<OpenChange>(
    named(
      `SELECT ch.id, ch."workspaceId", ch."authorId", ch."authorUserId", ch."authorComputer", ch.size, ch.seq, r."maxWorkspaceChangeBytes" AS "maxBytes"
       FROM workspace_changes ch JOIN workspaces w ON w.id = ch."workspaceId" JOIN realms r ON r.id = w."realmId"
      WHERE ch.id = $1 AND ch."authorUserId" = $2 AND ch."forwardedAt" IS NULL FOR UPDATE OF ch`,
      [handle.toString(), caller.userId],
    ),
  );
  const ch = r.rows[0];
  if (!ch) throw gone(handle);
  if (ch.seq !== null) throw new DomainError("FAIL", `Change ${handle} is already sealed as seq ${ch.seq}.`);
  return { ...ch, size: BigInt(ch.size), maxBytes: BigInt(ch.maxBytes) };
}

const tooLarge = (max: bigint) =>
  new DomainError(
    "QUOTAEXCEEDED",
    `A workspace change has at most ${max} bytes on this realm (its maxWorkspaceChangeBytes); the change was discarded.`,
  );

/**
 * Opens an upload and returns its handle. `declaredSize`, when given, is checked up front
 * against the realm's maximum and the author's free quota (nothing is charged until written).
 */
export async function beginChange(
  pool: pg.Pool,
  caller: Caller,
  workspaceId: string,
  declaredSize: bigint | null,
  opts: { maxOpenChanges: number },
): Promise<bigint> {
  return tx(pool, async (c) => {
    await requireActive(c, workspaceId, caller);
    // The user row lock serialises begins so the open-upload limit holds under concurrency.
    const u = await c.query<{ maxBytes: bigint }>(
      named(
        `SELECT r."maxWorkspaceChangeBytes" AS "maxBytes" FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1 FOR NO KEY UPDATE OF u`,
        [caller.userId],
      ),
    );
    const max = BigInt(u.rows[0].maxBytes);
    if (declaredSize !== null) {
      if (declaredSize > max)
        throw new DomainError(
          "QUOTAEXCEEDED",
          `A workspace change has at most ${max} bytes on this realm (its maxWorkspaceChangeBytes).`,
        );
      const q = await getQuotas(c, caller.userId);
      if (q && q.bytesUsed + declaredSize > q.quotaBytes)
        throw new DomainError(
          "QUOTAEXCEEDED",
          `This change needs ${declaredSize} bytes but only ${q.quotaBytes - q.bytesUsed} of your quota are free.`,
        );
    }
    const open = await c.query<{ n: string }>(
      named(
        `SELECT count(*) AS n FROM workspace_changes WHERE "authorUserId" = $1 AND seq IS NULL AND "forwardedAt" IS NULL`,
        [caller.userId],
      ),
    );
    if (Number(open.rows[0].n) >= opts.maxOpenChanges)
      throw new DomainError(
        "QUOTAEXCEEDED",
        `At most ${opts.maxOpenChanges} unsealed workspace changes at a time; seal or abort one first.`,
      );
    const ins = await c.query<{ id: bigint }>(
      named(
        `INSERT INTO workspace_changes ("workspaceId", "authorId", "authorUserId", "authorComputer") VALUES ($1, $2, $3, $4) RETURNING id`,
        [workspaceId, caller.fullId, caller.userId, caller.computer],
      ),
    );
    await touchMember(c, workspaceId, caller.fullId);
    return BigInt(ins.rows[0].id);
  });
}

/** Appends `data` to block rows: tops up a partial last block, then one multi-row INSERT. */
async function appendBlocks(c: pg.PoolClient, changeId: bigint, size: bigint, data: Buffer): Promise<void> {
  let block = Number(size / BigInt(B));
  const within = Number(size % BigInt(B));
  let pos = 0;
  if (within !== 0) {
    pos = Math.min(B - within, data.length);
    await c.query(
      named(`UPDATE workspace_change_blocks SET data = data || $3 WHERE "changeId" = $1 AND block = $2`, [
        changeId.toString(),
        block,
        data.subarray(0, pos),
      ]),
    );
    block++;
  }
  const params: Array<string | number | Buffer> = [changeId.toString()];
  const rows: string[] = [];
  for (; pos < data.length; pos += B, block++) {
    params.push(block, data.subarray(pos, pos + B));
    rows.push(`($1, $${params.length - 1}, $${params.length})`);
  }
  if (rows.length)
    await c.query(`INSERT INTO workspace_change_blocks ("changeId", block, data) VALUES ${rows.join(", ")}`, params);
}

/**
 * Appends one chunk at `offset`, which must be the change's current size (uploads are
 * sequential; after a dropped connection the client resumes from the size it was last told).
 * Over the quota or the realm's maximum, the whole change is discarded and its bytes released
 * (QUOTAEXCEEDED): nothing partial stays stored or charged. Returns the new size.
 */
export async function writeChange(
  pool: pg.Pool,
  caller: Caller,
  handle: bigint,
  offset: bigint,
  data: Buffer,
): Promise<bigint> {
  const out: { error?: DomainError } = {};
  const size = await tx(pool, async (c) => {
    const ch = await lockOpen(c, caller, handle);
    if (offset !== ch.size)
      throw new DomainError(
        "INDEXOUTOFBOUNDS",
        `Changes are written in order: the next offset of change ${handle} is ${ch.size}.`,
      );
    if (data.length === 0) return ch.size;
    const end = ch.size + BigInt(data.length);
    if (end > ch.maxBytes) {
      await dropChange(c, ch.id);
      out.error = tooLarge(ch.maxBytes);
      return 0n;
    }
    if (!(await chargeBytes(c, ch.authorUserId, BigInt(data.length), "workspace"))) {
      const released = await dropChange(c, ch.id);
      out.error = new DomainError(
        "QUOTAEXCEEDED",
        `Storing ${data.length} more bytes would exceed your storage quota; the change was discarded (${released} bytes released). Free space or ask the operator for more.`,
      );
      return 0n;
    }
    await appendBlocks(c, ch.id, ch.size, data);
    await c.query(named(`UPDATE workspace_changes SET size = $2 WHERE id = $1`, [ch.id.toString(), end.toString()]));
    return end;
  });
  if (out.error) throw out.error;
  return size;
}

/** Marks the member as syncing and queues the push (sent at commit), in one round trip. */
async function touchAndNotify(c: pg.PoolClient, workspaceId: string, memberId: string, event: object): Promise<void> {
  await c.query(
    named(
      `WITH t AS (UPDATE workspace_members SET "lastSeenAt" = now() WHERE "workspaceId" = $1 AND "memberId" = $2 AND ("lastSeenAt" IS NULL OR "lastSeenAt" < now() - interval '1 second'))
     SELECT pg_notify($3, $4)`,
      [workspaceId, memberId, CHANNELS.workspace, JSON.stringify(event)],
    ),
  );
}

export interface Sealed {
  workspaceId: string;
  seq: bigint;
  size: bigint;
  freed: Freed;
}

/** Seals an upload: the next sequence number, under the workspace lock; members are notified at commit. */
export async function sealChange(pool: pg.Pool, caller: Caller, handle: bigint): Promise<Sealed> {
  return tx(pool, async (c) => {
    const pre = await c.query<{ workspaceId: string }>(
      named(`SELECT "workspaceId" FROM workspace_changes WHERE id = $1 AND "authorUserId" = $2`, [
        handle.toString(),
        caller.userId,
      ]),
    );
    if (!pre.rows[0]) throw gone(handle);
    const workspaceId = pre.rows[0].workspaceId;
    // Workspace lock first, then the change: the same order as removal, so the two cannot deadlock.
    const m = await requireActive(c, workspaceId, caller, true);
    const ch = await lockOpen(c, caller, handle);
    if (m.homeRealmId) {
      await queueRemotePublish(c, workspaceId, ch.id, ch.authorId, m.homeRealmId);
      return { workspaceId, seq: 0n, size: ch.size, freed: { changes: 0, bytes: 0n } };
    }
    const seq = m.head + 1n;
    await c.query(named(`UPDATE workspaces SET "nextSeq" = $2 WHERE id = $1`, [workspaceId, (seq + 1n).toString()]));
    await c.query(
      named(`UPDATE workspace_changes SET seq = $2, "sealedAt" = now() WHERE id = $1`, [
        ch.id.toString(),
        seq.toString(),
      ]),
    );
    await touchAndNotify(c, workspaceId, caller.fullId, {
      kind: "change",
      workspaceId,
      seq: seq.toString(),
      authorId: ch.authorId,
      authorComputer: ch.authorComputer,
    });
    // With no other member computer the change is free at once.
    await queueRemoteChange(c, workspaceId, seq);
    const freed = await freeAcked(c, workspaceId, seq);
    return { workspaceId, seq, size: ch.size, freed };
  });
}

/**
 * A change that fits in one packet, begun, written and sealed in ONE transaction: one commit
 * instead of three for the many small changes of a busy workspace. The workspace lock is taken
 * before the quota charge (the order every other path uses: workspace, change, user).
 */
export async function publishChange(pool: pg.Pool, caller: Caller, workspaceId: string, data: Buffer): Promise<Sealed> {
  return tx(pool, async (c) => {
    const m = await requireActive(c, workspaceId, caller, true);
    const size = BigInt(data.length);
    if (size > m.maxChangeBytes)
      throw new DomainError(
        "QUOTAEXCEEDED",
        `A workspace change has at most ${m.maxChangeBytes} bytes on this realm (its maxWorkspaceChangeBytes).`,
      );
    if (!(await chargeBytes(c, caller.userId, size, "workspace")))
      throw new DomainError(
        "QUOTAEXCEEDED",
        `Storing ${size} more bytes would exceed your storage quota; nothing was stored.`,
      );
    if (m.homeRealmId) {
      const staged = await c.query<{ id: bigint }>(
        named(
          `INSERT INTO workspace_changes ("workspaceId", "authorId", "authorUserId", "authorComputer", size) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
          [workspaceId, caller.fullId, caller.userId, caller.computer, size.toString()],
        ),
      );
      const id = BigInt(staged.rows[0].id);
      await appendBlocks(c, id, 0n, data);
      await queueRemotePublish(c, workspaceId, id, caller.fullId, m.homeRealmId);
      return { workspaceId, seq: 0n, size, freed: { changes: 0, bytes: 0n } };
    }
    const seq = m.head + 1n;
    // Statements are combined where possible: the workspace lock is held for the whole transaction.
    const ins = await c.query<{ id: bigint }>(
      named(
        `WITH s AS (UPDATE workspaces SET "nextSeq" = $2::bigint + 1 WHERE id = $1)
       INSERT INTO workspace_changes ("workspaceId", seq, "authorId", "authorUserId", "authorComputer", size, "sealedAt") VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING id`,
        [workspaceId, seq.toString(), caller.fullId, caller.userId, caller.computer, size.toString()],
      ),
    );
    await appendBlocks(c, BigInt(ins.rows[0].id), 0n, data);
    await touchAndNotify(c, workspaceId, caller.fullId, {
      kind: "change",
      workspaceId,
      seq: seq.toString(),
      authorId: caller.fullId,
      authorComputer: caller.computer,
    });
    await queueRemoteChange(c, workspaceId, seq);
    return { workspaceId, seq, size, freed: await freeAcked(c, workspaceId, seq) };
  });
}

/** Abandons an upload; returns the bytes released. */
export async function abortChange(pool: pg.Pool, caller: Caller, handle: bigint): Promise<bigint> {
  return tx(pool, async (c) => {
    const ch = await lockOpen(c, caller, handle);
    return dropChange(c, ch.id);
  });
}

export interface ChangeEntry {
  seq: bigint;
  size: bigint;
  authorId: string;
  authorComputer: string;
}

export interface PullResult {
  head: bigint;
  acked: bigint;
  changes: ChangeEntry[];
  /** More changes follow; pull again after acknowledging these. */
  more: boolean;
}

/**
 * The changes after this computer's cursor that it did not publish itself (it has those, and
 * they may be freed at any moment), oldest first. A computer new to the workspace starts at
 * the head. Without `more`, everything up to `head` has been listed: acknowledging
 * max(head, last listed seq) is safe.
 */
export async function pullChanges(
  pool: pg.Pool,
  caller: Caller,
  workspaceId: string,
  max: number,
): Promise<PullResult> {
  const m = await requireActive(pool, workspaceId, caller);
  await pool.query(
    named(
      `INSERT INTO workspace_cursors ("workspaceId", "memberId", computer, "ackedSeq", "updatedAt") VALUES ($1, $2, $3, $4, now()) ON CONFLICT DO NOTHING`,
      [workspaceId, caller.fullId, caller.computer, m.head.toString()],
    ),
  );
  const cur = await pool.query<{ ackedSeq: bigint }>(
    named(`SELECT "ackedSeq" FROM workspace_cursors WHERE "workspaceId" = $1 AND "memberId" = $2 AND computer = $3`, [
      workspaceId,
      caller.fullId,
      caller.computer,
    ]),
  );
  const acked = BigInt(cur.rows[0].ackedSeq);
  const r = await pool.query<ChangeEntry>(
    named(
      `SELECT seq, size, "authorId", "authorComputer" FROM workspace_changes
      WHERE "workspaceId" = $1 AND seq > $2 AND NOT ("authorId" = $4 AND "authorComputer" = $5) ORDER BY seq LIMIT $3`,
      [workspaceId, acked.toString(), max + 1, caller.fullId, caller.computer],
    ),
  );
  await touchMember(pool, workspaceId, caller.fullId);
  const changes = r.rows.slice(0, max).map((x) => ({ ...x, seq: BigInt(x.seq), size: BigInt(x.size) }));
  return { head: m.head, acked, changes, more: r.rows.length > max };
}

/** Reads `length` bytes of a sealed change from `offset` (fewer at the end). */
export async function readChange(
  pool: pg.Pool,
  caller: Caller,
  workspaceId: string,
  seq: bigint,
  offset: bigint,
  length: number,
): Promise<Buffer> {
  await requireActive(pool, workspaceId, caller);
  const missing = () =>
    new DomainError(
      "NOSUCHMESSAGE",
      `No change ${seq} in this workspace: not published, or already freed because every computer that needed it has it.`,
    );
  const r = await pool.query<{ id: bigint; size: bigint }>(
    named(`SELECT id, size FROM workspace_changes WHERE "workspaceId" = $1 AND seq = $2`, [
      workspaceId,
      seq.toString(),
    ]),
  );
  if (!r.rows[0]) throw missing();
  const id = BigInt(r.rows[0].id);
  const size = BigInt(r.rows[0].size);
  if (offset > size)
    throw new DomainError("INDEXOUTOFBOUNDS", `Offset ${offset} is past the end of change ${seq} (${size} bytes).`);
  const end = offset + BigInt(length) > size ? size : offset + BigInt(length);
  const out = Buffer.alloc(Number(end - offset));
  if (out.length === 0) return out;
  const first = offset / BigInt(B);
  const last = (end - 1n) / BigInt(B);
  const blocks = await pool.query<{ block: number; data: Buffer }>(
    named(`SELECT block, data FROM workspace_change_blocks WHERE "changeId" = $1 AND block BETWEEN $2 AND $3`, [
      id.toString(),
      first.toString(),
      last.toString(),
    ]),
  );
  // Freed between the two queries: report it rather than return zeros.
  if (blocks.rows.length !== Number(last - first) + 1) throw missing();
  for (const row of blocks.rows) {
    const blockStart = BigInt(row.block) * BigInt(B);
    const from = offset > blockStart ? Number(offset - blockStart) : 0;
    const dst = Number(blockStart + BigInt(from) - offset);
    row.data.copy(out, dst, from, Math.min(row.data.length, from + (out.length - dst)));
  }
  return out;
}

/** Moves this computer's cursor forward to `seq` (never back) and frees what is now fully acknowledged. */
export async function ackChanges(
  pool: pg.Pool,
  caller: Caller,
  workspaceId: string,
  seq: bigint,
): Promise<{ acked: bigint; freed: Freed }> {
  return tx(pool, async (c) => {
    // The workspace lock makes "my ack + is anyone else still behind?" one step: two computers
    // acking the last outstanding copy at the same moment cannot both miss each other.
    const m = await requireActive(c, workspaceId, caller, true);
    if (seq > m.head) throw new DomainError("INDEXOUTOFBOUNDS", `Seq ${seq} is past the workspace's head (${m.head}).`);
    const r = await c.query<{ ackedSeq: bigint }>(
      named(
        `INSERT INTO workspace_cursors ("workspaceId", "memberId", computer, "ackedSeq", "updatedAt") VALUES ($1, $2, $3, $4, now())
       ON CONFLICT ("workspaceId", "memberId", computer) DO UPDATE SET "ackedSeq" = GREATEST(workspace_cursors."ackedSeq", EXCLUDED."ackedSeq"), "updatedAt" = now()
       RETURNING "ackedSeq"`,
        [workspaceId, caller.fullId, caller.computer, seq.toString()],
      ),
    );
    await touchMember(c, workspaceId, caller.fullId);
    const freed = await freeAcked(c, workspaceId);
    if (m.homeRealmId) await queueMirrorAck(c, workspaceId, caller.fullId, m.homeRealmId);
    return { acked: BigInt(r.rows[0].ackedSeq), freed };
  });
}
