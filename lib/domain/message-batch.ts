// One group-commit batch of message operations (see lib/db/group-commit.ts): small messages
// created, written and sent in one step (`postmessage`) and deletes, from any number of
// connections, in ONE transaction of a few set-based statements, with one result per
// operation. Rules are those of messages.ts: quotas are charged exactly (the senders' rows are
// locked, in id order, before anything is decided), a message is dropped and its bytes released
// exactly once when its last recipient entry goes, and an operation's failure (unknown
// recipient, quota, duplicate id, no such message) is its own and changes nothing else.
//
// A batch of posts only is two round trips whatever its size, and one commit: one statement
// reads the senders' room and resolves the recipients (no transaction, no locks), the decisions
// are made here, and ONE autocommit statement writes everything, locking the senders' rows in id
// order and charging them conditionally; if any charge does not hold (a concurrent batch or
// path used the room meanwhile) the statement raises (og_batch_check) before its commit and the
// batch runs again the locked way. That way (and any batch with deletes) is four round trips:
// BEGIN; one statement that locks the messages to delete and then every user row to charge or
// release (always messages before users, each in id order, as every other path does: concurrent
// batches cannot deadlock) and resolves the posts' recipients; one statement per kind that does
// all the writing; COMMIT. Users are locked FOR NO KEY UPDATE, which foreign-key checks of
// concurrent message inserts (KEY SHARE) do not wait for.
import type pg from "pg";
import { DomainError } from "./errors.ts";
import { foldUsername, parseUserId } from "./usernames.ts";
import { named } from "../db/named.ts";
import { CHANNELS } from "../db/notify.ts";
import type { BatchResult } from "../db/group-commit.ts";
import type { Caller, Delivery, RecipientSpec } from "./messages.ts";
import { messageOverheadBytes } from "./quota-rule.ts";

export interface PostOp {
  kind: "post";
  caller: Caller;
  messageId: string;
  recipients: RecipientSpec[];
  body: Buffer;
  retentionDays: number;
}

export interface DeleteOp {
  kind: "delete";
  caller: Caller;
  messageId: string;
}

export type MessageOp = PostOp | DeleteOp;

export interface PostResult {
  deliveries: Delivery[];
  remoteRealms: string[];
}

export interface DeleteResult {
  released: bigint;
}

export type MessageOpResult = PostResult | DeleteResult;

interface Resolved {
  rows: Array<{ recipientId: string; userId: string | null; computer: string }>;
  remote: string[];
}

/** SQLSTATE of og_batch_check: a charge decided on an unlocked read did not hold. */
const CHARGE_RACE = "OGB01";
let optimisticRetries = 0;
/** Where a post-only batch's time goes (ms, summed): waiting for a pool client, the read, the write. */
const stepMs = { connectMs: 0, readMs: 0, writeMs: 0 };
/** Post batches that had to run again the locked way, and the step times (for the bench's figures). */
export const batchCounters = () => ({ optimisticRetries, ...stepMs });

/** Runs one batch in one transaction; `origin` tags the NOTIFYs so this instance can skip its own. */
export async function runMessageBatch(
  pool: pg.Pool,
  ops: MessageOp[],
  origin: string,
): Promise<Array<BatchResult<MessageOpResult>>> {
  const results: Array<BatchResult<MessageOpResult> | undefined> = new Array(ops.length);
  const posts = ops.map((op, i) => ({ op, i })).filter((x): x is { op: PostOp; i: number } => x.op.kind === "post");
  const dels = ops.map((op, i) => ({ op, i })).filter((x): x is { op: DeleteOp; i: number } => x.op.kind === "delete");
  if (!dels.length && posts.length) {
    const t0 = performance.now();
    const c = await pool.connect();
    const t1 = performance.now();
    stepMs.connectMs += t1 - t0;
    try {
      const seen = await lockAndResolve(c, posts, dels, false);
      const t2 = performance.now();
      stepMs.readMs += t2 - t1;
      await postAll(c, posts, seen, results, origin);
      stepMs.writeMs += performance.now() - t2;
      return results.map((r) => r ?? new Error("operation without a result"));
    } catch (e) {
      // Only a charge that did not hold is retried the locked way; anything else is the batch's
      // failure (GroupCommit then retries each operation alone).
      if ((e as { code?: string }).code !== CHARGE_RACE) throw e;
      results.fill(undefined);
      optimisticRetries++;
    } finally {
      c.release();
    }
  }
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    const locked = await lockAndResolve(c, posts, dels, true);
    if (dels.length) await deleteAll(c, dels, locked.messages, results);
    if (posts.length) await postAll(c, posts, locked, results, origin);
    await c.query("COMMIT");
  } catch (e) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
  return results.map((r) => r ?? new Error("operation without a result"));
}

type UserRow = { id: string; username: string; realmId: string; usernameKey: string; computers: string[] };
type LockedMessage = { id: string; realmId: string; messageId: string; senderUserId: string | null; sent: boolean };
interface Locked {
  messages: LockedMessage[];
  /** Locked users: quota room left and whether they may message other realms. */
  users: Map<string, { room: bigint; cmor: boolean }>;
  /** Local recipients of the posts, by realm id + NUL + username key. */
  recipients: Map<string, UserRow>;
}

/** With `lock`, the messages and users are locked (in a transaction); without, only read. */
async function lockAndResolve(
  c: pg.PoolClient,
  posts: Array<{ op: PostOp }>,
  dels: Array<{ op: DeleteOp }>,
  lock: boolean,
): Promise<Locked> {
  const realms: string[] = [];
  const keys: string[] = [];
  for (const { op } of posts)
    for (const r of op.recipients) {
      const u = parseUserId(r.recipientId);
      if (u && u.realmId === op.caller.realmId) {
        realms.push(u.realmId);
        keys.push(foldUsername(u.username));
      }
    }
  const r = await c.query<{
    messages: LockedMessage[];
    users: Array<{ id: string; room: string; cmor: boolean }>;
    recipients: UserRow[];
  }>(
    named(lock ? LOCK_SQL : READ_SQL, [
      dels.map((d) => d.op.caller.realmId),
      dels.map((d) => d.op.messageId),
      [...new Set(posts.map((p) => p.op.caller.userId))],
      realms,
      keys,
    ]),
  );
  const row = r.rows[0];
  return {
    messages: row.messages,
    users: new Map(row.users.map((u) => [u.id, { room: BigInt(u.room), cmor: u.cmor }])),
    recipients: new Map(row.recipients.map((u) => [`${u.realmId}\u0000${u.usernameKey}`, u])),
  };
}

const LOCK_SQL = `WITH lm AS (SELECT m.id::text AS id, m."realmId", m."messageId", m."senderUserId", m."sentAt" IS NOT NULL AS sent
                     FROM messages m JOIN (SELECT DISTINCT * FROM unnest($1::text[], $2::text[])) AS k(realm, mid)
                       ON m."realmId" = k.realm AND m."messageId" = k.mid
                    ORDER BY m.id FOR UPDATE OF m),
            lu AS (SELECT u.id, (COALESCE(u."quotaBytes", r."defaultQuotaBytes") - u."bytesUsed")::text AS room, u."canMessageOtherRealms" AS cmor
                     FROM users u JOIN realms r ON r.id = u."realmId"
                    WHERE u.id IN (SELECT unnest($3::text[]) UNION SELECT "senderUserId" FROM lm)
                    ORDER BY u.id FOR NO KEY UPDATE OF u),
            ru AS (SELECT u.id, u.username, u."realmId", u."usernameKey",
                          ARRAY(SELECT name FROM computers c WHERE c."userId" = u.id ORDER BY c."createdAt", c.name) AS computers
                     FROM users u JOIN (SELECT DISTINCT * FROM unnest($4::text[], $5::text[])) AS k(realm, key)
                       ON u."realmId" = k.realm AND u."usernameKey" = k.key)
       SELECT (SELECT COALESCE(json_agg(lm), '[]') FROM lm) AS messages,
              (SELECT COALESCE(json_agg(lu), '[]') FROM lu) AS users,
              (SELECT COALESCE(json_agg(ru), '[]') FROM ru) AS recipients`;
const READ_SQL = LOCK_SQL.replace(" FOR UPDATE OF m", "").replace(" FOR NO KEY UPDATE OF u", "");

/** The recipient entries of one post, or why it cannot be sent (same rules as createMessage). */
function entriesFor(op: PostOp, users: Map<string, UserRow>, canMessageOtherRealms: boolean): Resolved | DomainError {
  const rows = new Map<string, Resolved["rows"][number]>();
  const remote = new Set<string>();
  const add = (recipientId: string, userId: string | null, computer: string) =>
    rows.set(`${recipientId}\u0000${computer}`, { recipientId, userId, computer });
  for (const spec of op.recipients) {
    const p = parseUserId(spec.recipientId);
    if (!p) return new DomainError("NOSUCHUSER", `"${spec.recipientId}" is not a user id (realm host:port::username).`);
    if (p.realmId !== op.caller.realmId) {
      if (!canMessageOtherRealms)
        return new DomainError("UNAUTHORIZED", "Your account may not send messages to other realms.");
      remote.add(p.realmId);
      add(spec.recipientId, null, spec.computer);
      continue;
    }
    const user = users.get(`${p.realmId}\u0000${foldUsername(p.username)}`);
    if (!user) return new DomainError("NOSUCHUSER", `No user ${spec.recipientId}.`);
    const canonical = `${op.caller.realmId}::${user.username}`;
    if (spec.computer) {
      if (!user.computers.includes(spec.computer))
        return new DomainError("NOSUCHCOMPUTER", `${canonical} has no computer "${spec.computer}".`);
      add(canonical, user.id, spec.computer);
    } else if (user.computers.length === 0) add(canonical, user.id, "");
    else for (const comp of user.computers) add(canonical, user.id, comp);
  }
  return { rows: [...rows.values()], remote: [...remote] };
}

/** NOTIFY payloads stay well under PostgreSQL's 8000-byte limit (ids can be long). */
const NOTIFY_CHUNK_BYTES = 6000;

/** The local deliveries, each tagged with the NOTIFY it goes in. */
function notifyChunks(
  rec: Array<{ mid: string; userId: string | null; computer: string }>,
  realmOf: Map<string, string>,
): Array<{ mid: string; uid: string; comp: string; realm: string; chunk: number }> {
  let chunk = 0;
  let bytes = 0;
  const out = [];
  for (const r of rec) {
    if (!r.userId) continue;
    const d = { mid: r.mid, uid: r.userId, comp: r.computer, realm: realmOf.get(r.mid)! };
    // JSON of one delivery as json_build_object writes it, with room for escapes.
    const size = 2 * JSON.stringify(d).length + 64;
    if (bytes && bytes + size > NOTIFY_CHUNK_BYTES) {
      chunk++;
      bytes = 0;
    }
    bytes += size;
    out.push({ ...d, chunk });
  }
  return out;
}

async function postAll(
  c: pg.PoolClient,
  posts: Array<{ op: PostOp; i: number }>,
  locked: Locked,
  results: Array<BatchResult<MessageOpResult> | undefined>,
  origin: string,
): Promise<void> {
  // The senders' rows are locked: what is left of each quota cannot change until COMMIT, so the
  // operations that fit are decided here, in batch order, exactly.
  const room = new Map([...locked.users].map(([id, u]) => [id, u.room]));
  const accepted: Array<{ op: PostOp; i: number; entries: Resolved; overhead: bigint }> = [];
  const ids = new Set<string>();
  for (const p of posts) {
    const sender = locked.users.get(p.op.caller.userId);
    const left = room.get(p.op.caller.userId);
    if (!sender || left === undefined) {
      results[p.i] = new DomainError("UNAUTHORIZED", "Your account no longer exists.");
      continue;
    }
    const entries = entriesFor(p.op, locked.recipients, sender.cmor);
    if (entries instanceof DomainError) {
      results[p.i] = entries;
      continue;
    }
    if (ids.has(p.op.messageId)) {
      results[p.i] = new DomainError("ALREADYEXISTS", `A message with id ${p.op.messageId} already exists.`);
      continue;
    }
    // The data and the message's overhead (quota-rule.ts) are charged together.
    const overhead = messageOverheadBytes(entries.rows.length);
    const size = BigInt(p.op.body.length) + overhead;
    if (size > left) {
      results[p.i] = new DomainError(
        "QUOTAEXCEEDED",
        `Storing ${size} more bytes would exceed your storage quota; delete messages or ask the operator for more space.`,
      );
      continue;
    }
    room.set(p.op.caller.userId, left - size);
    ids.add(p.op.messageId);
    accepted.push({ ...p, entries, overhead });
  }
  if (!accepted.length) return;
  // One statement: the messages (sealed), their one block, their recipient entries, the
  // federation queue, the senders' charges (conditional: each must hold, the rows being locked
  // and the sums checked; one that does not is a bug and rolls the batch back) and the NOTIFYs
  // for other daemon instances (delivered at COMMIT). A message id already taken inserts
  // nothing and is charged nothing (ALREADYEXISTS below).
  const rec = accepted.flatMap((a) => a.entries.rows.map((r) => ({ mid: a.op.messageId, ...r })));
  const rem = accepted.flatMap((a) => a.entries.remote.map((realm) => ({ mid: a.op.messageId, realm })));
  const realmOf = new Map(accepted.map((a) => [a.op.messageId, a.op.caller.realmId]));
  // The rows go as JSON (serialized natively, where text[] parameters are escaped element by
  // element in JS) and the bodies as ONE binary parameter sliced by offset in SQL (a bytea[]
  // parameter would travel hex-encoded: twice the bytes, encoded here and decoded there).
  let off = 0;
  const msgs = accepted.map((a) => {
    const m = {
      realm: a.op.caller.realmId,
      mid: a.op.messageId,
      sid: a.op.caller.fullId,
      suid: a.op.caller.userId,
      comp: a.op.caller.computer,
      days: a.op.retentionDays,
      size: a.op.body.length,
      overhead: a.overhead.toString(),
      off: off + 1, // substring() counts from 1
    };
    off += a.op.body.length;
    return m;
  });
  const bodies = Buffer.concat(accepted.map((a) => a.op.body));
  const ins = await c.query<{ messageId: string | null; err: string | null }>(
    named(
      `WITH x AS MATERIALIZED (SELECT * FROM json_to_recordset($1::json) AS x(realm text, mid text, sid text, suid text, comp text, days int, size bigint, overhead bigint, off int)),
       m AS (
         INSERT INTO messages ("realmId", "messageId", "senderId", "senderUserId", "senderComputer", "expiresAt", size, "overheadBytes", "sentAt")
         SELECT x.realm, x.mid, x.sid, x.suid, x.comp, now() + x.days * interval '1 day', x.size, x.overhead, now() FROM x
         ON CONFLICT ("realmId", "messageId") DO NOTHING RETURNING id, "messageId", "senderUserId", size + "overheadBytes" AS charged),
       b AS (INSERT INTO message_blocks ("messageId", block, data)
             SELECT m.id, 0, substring($2::bytea FROM x.off FOR x.size::int) FROM m JOIN x ON x.mid = m."messageId" WHERE x.size > 0),
       r AS (INSERT INTO message_recipients ("messageId", "recipientId", "userId", computer)
             SELECT m.id, y.rid, y.uid, y.comp FROM m JOIN json_to_recordset($3::json) AS y(mid text, rid text, uid text, comp text) ON y.mid = m."messageId"),
       o AS (INSERT INTO federation_outbox ("messageId", "targetRealmId")
             SELECT m.id, z.realm FROM m JOIN json_to_recordset($4::json) AS z(mid text, realm text) ON z.mid = m."messageId"
             ON CONFLICT DO NOTHING),
       -- the senders' rows in id order before any is charged (an autocommit batch holds no
       -- earlier locks): two batches never wait for each other crosswise
       lk AS MATERIALIZED (SELECT id FROM users WHERE id IN (SELECT DISTINCT suid FROM x) ORDER BY id FOR NO KEY UPDATE),
       q AS (UPDATE users u SET "bytesUsed" = u."bytesUsed" + s.b, "messageBytes" = u."messageBytes" + s.b
               FROM (SELECT "senderUserId" AS uid, sum(charged) AS b FROM m GROUP BY 1 HAVING sum(charged) > 0) s, realms rl
              WHERE u.id = s.uid AND rl.id = u."realmId" AND u."bytesUsed" + s.b <= COALESCE(u."quotaBytes", rl."defaultQuotaBytes")
                AND u.id IN (SELECT id FROM lk)
             RETURNING u.id),
       -- one NOTIFY per chunk of deliveries (chunks sized in JS to stay under the 8000-byte
       -- payload limit), not one per message: each notification costs every listener
       n AS (SELECT count(pg_notify($5, json_build_object('origin', $6::text, 'd', g.d)::text)) AS c
               FROM (SELECT w.chunk, json_agg(json_build_object('realmId', w.realm, 'userId', w.uid, 'computer', w.comp, 'messageId', w.mid)) AS d
                       FROM json_to_recordset($7::json) AS w(mid text, uid text, comp text, realm text, chunk int)
                      WHERE w.mid IN (SELECT "messageId" FROM m) GROUP BY w.chunk) g)
       SELECT "messageId", NULL AS err FROM m
       UNION ALL
       -- the check row: every charge held (and the NOTIFYs were queued), else the statement
       -- fails before anything is committed
       SELECT NULL, og_batch_check((SELECT count(*) FROM q) = (SELECT count(DISTINCT "senderUserId") FROM m WHERE charged > 0) AND (SELECT c FROM n) >= 0)`,
      [
        JSON.stringify(msgs),
        bodies,
        JSON.stringify(rec.map((r) => ({ mid: r.mid, rid: r.recipientId, uid: r.userId, comp: r.computer }))),
        JSON.stringify(rem),
        CHANNELS.message,
        origin,
        JSON.stringify(notifyChunks(rec, realmOf)),
      ],
    ),
  );
  const inserted = new Set(ins.rows.map((r) => r.messageId));
  for (const a of accepted) {
    if (!inserted.has(a.op.messageId)) {
      results[a.i] = new DomainError("ALREADYEXISTS", `A message with id ${a.op.messageId} already exists.`);
      continue;
    }
    const deliveries = a.entries.rows
      .filter((r) => r.userId)
      .map((r) => ({ userId: r.userId!, computer: r.computer, messageId: a.op.messageId }));
    results[a.i] = { deliveries, remoteRealms: a.entries.remote };
  }
}

async function deleteAll(
  c: pg.PoolClient,
  dels: Array<{ op: DeleteOp; i: number }>,
  locked: LockedMessage[],
  results: Array<BatchResult<MessageOpResult> | undefined>,
): Promise<void> {
  const byKey = new Map(locked.map((m) => [`${m.realmId}\u0000${m.messageId}`, m]));
  const none = (d: DeleteOp) => new DomainError("NOSUCHMESSAGE", `No message ${d.messageId}.`);
  const retracted = new Map<string, number>(); // message id -> the sender's op that retracts it
  const entryOps: Array<{ d: DeleteOp; i: number; mid: string }> = [];
  for (const { op, i } of dels) {
    const m = byKey.get(`${op.caller.realmId}\u0000${op.messageId}`);
    if (!m || retracted.has(m.id)) results[i] = none(op);
    else if (m.senderUserId === op.caller.userId) retracted.set(m.id, i);
    else if (!m.sent) results[i] = none(op);
    else entryOps.push({ d: op, i, mid: m.id });
  }
  if (!entryOps.length && !retracted.size) return;
  // One statement, its snapshot taken after the locks (so every earlier delete of these
  // messages is visible): each recipient delete removes its computer's entries (and an open ""
  // entry); a message whose every remaining entry went, or that its sender retracts, is dropped
  // (blocks and entries cascade) and its bytes released from the local sender, or from the
  // allowance of the realm that forwarded it.
  const r = await c.query<{
    k: string;
    mid: string;
    userId: string | null;
    computer: string | null;
    size: string | null;
  }>(
    named(
      `WITH d AS (DELETE FROM message_recipients mr USING unnest($1::bigint[], $2::text[], $3::text[]) AS x(mid, uid, comp)
                   WHERE mr."messageId" = x.mid AND mr."userId" = x.uid AND (mr.computer = x.comp OR mr.computer = '')
                  RETURNING mr."messageId", mr."userId", mr.computer),
       t AS (SELECT "messageId" AS mid FROM d GROUP BY 1
              HAVING count(*) >= (SELECT count(*) FROM message_recipients r WHERE r."messageId" = d."messageId")),
       g AS (DELETE FROM messages WHERE id IN (SELECT mid FROM t UNION SELECT unnest($4::bigint[]))
             RETURNING id, "senderUserId", "senderId", size + "overheadBytes" AS size),
       u AS (UPDATE users u SET "bytesUsed" = GREATEST(u."bytesUsed" - s.b, 0), "messageBytes" = GREATEST(u."messageBytes" - s.b, 0)
               FROM (SELECT "senderUserId" AS uid, sum(size) AS b FROM g WHERE "senderUserId" IS NOT NULL GROUP BY 1) s WHERE u.id = s.uid),
       f AS (UPDATE federation_peers p SET "bytesHeld" = GREATEST(p."bytesHeld" - s.b, 0)
               FROM (SELECT regexp_replace("senderId", '::[^:]*$', '') AS realm, sum(size) AS b FROM g WHERE "senderUserId" IS NULL GROUP BY 1) s
              WHERE p."realmId" = s.realm)
       SELECT 'd' AS k, "messageId"::text AS mid, "userId", computer, NULL AS size FROM d
       UNION ALL SELECT 'g', id::text, NULL, NULL, size::text FROM g`,
      [
        entryOps.map((e) => e.mid),
        entryOps.map((e) => e.d.caller.userId),
        entryOps.map((e) => e.d.caller.computer),
        [...retracted.keys()],
      ],
    ),
  );
  // Attribute each deleted entry to one operation: its own computer's, or for an open entry
  // the first operation of that user on that message.
  const got = new Set<number>();
  for (const row of r.rows.filter((x) => x.k === "d")) {
    const same = (e: (typeof entryOps)[number]) => e.mid === row.mid && e.d.caller.userId === row.userId;
    const owner =
      entryOps.find((e) => same(e) && e.d.caller.computer === row.computer) ??
      entryOps.find((e) => same(e) && !got.has(e.i));
    if (owner) got.add(owner.i);
  }
  for (const e of entryOps) results[e.i] = got.has(e.i) ? { released: 0n } : none(e.d);
  // A dropped message's bytes are reported by the op that retracted it, else by the last op
  // of the batch that deleted one of its entries.
  for (const g of r.rows.filter((x) => x.k === "g")) {
    const i = retracted.get(g.mid) ?? entryOps.filter((e) => e.mid === g.mid && got.has(e.i)).at(-1)?.i;
    if (i !== undefined) results[i] = { released: BigInt(g.size!) };
  }
  for (const i of retracted.values()) results[i] ??= { released: 0n };
}
