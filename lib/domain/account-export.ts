// A user's own data export: everything the realm holds for them, as one tar archive —
//   README.txt, profile.json (account, quota, permissions), settings.json (user and computer
//   settings), computers.json, workspaces.json (memberships), messages/index.json and the
//   waiting messages as files: messages/inbound/* (sent to them, not yet deleted by them) and
//   messages/outbound/* (theirs, held here until every recipient has downloaded them).
// Read in one REPEATABLE READ snapshot, so the archive is consistent.
// The whole archive is streamed: metadata first (small), then each message's bytes block by
// block, so an export of a 5 GiB account needs a few blocks of memory, not 5 GiB.
import type pg from "pg";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { DomainError } from "./errors.ts";

type Entry = { name: string; body: Buffer };
type MessageFile = { name: string; id: bigint; bytes: number };

/** What of a message is exported: its first `size` bytes as stored (a draft may have fewer). */
const STORED_BYTES = `LEAST(m.size, (SELECT COALESCE(sum(octet_length(b.data)), 0) FROM message_blocks b WHERE b."messageId" = m.id))`;

/** Blocks read per query while streaming a message body. */
const BLOCKS_PER_READ = 16;

function safeName(i: number, messageId: string): string {
  return `${String(i).padStart(5, "0")}-${messageId.replace(/[^A-Za-z0-9._-]+/g, "_").slice(-120)}.bin`;
}

const json = (v: unknown) =>
  Buffer.from(JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x), 2) + "\n");

/** Writes one message's bytes (the first `bytes` of its blocks) into a tar entry, with backpressure. */
async function writeMessage(c: pg.PoolClient, pack: tar.Pack, mtime: Date, f: MessageFile): Promise<void> {
  let sink: ReturnType<tar.Pack["entry"]> | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    sink = pack.entry({ name: `opengroove-export/${f.name}`, size: f.bytes, mtime, mode: 0o600 }, (err) =>
      err ? reject(err) : resolve(),
    );
  });
  const out = sink!;
  let left = f.bytes;
  let next = -1;
  while (left > 0) {
    const r = await c.query<{ block: number; data: Buffer }>(
      `SELECT block, data FROM message_blocks WHERE "messageId" = $1 AND block > $2 ORDER BY block LIMIT $3`,
      [f.id, next, BLOCKS_PER_READ],
    );
    if (r.rows.length === 0) break;
    for (const b of r.rows) {
      const piece = b.data.subarray(0, Math.min(left, b.data.length));
      left -= piece.length;
      next = b.block;
      if (!out.write(piece)) await new Promise<void>((res) => out.once("drain", () => res()));
      if (left === 0) break;
    }
  }
  out.end(null);
  await finished;
}

export interface AccountExport {
  filename: string;
  /** The tar archive; an error while streaming destroys it. */
  stream: Readable;
  /** The bytes of the files inside (headers and padding not counted). */
  contentBytes: number;
}

/**
 * Opens the export: reads the metadata in a REPEATABLE READ snapshot (NOSUCHUSER is thrown
 * here, before anything is streamed), then streams the archive from the same snapshot; the
 * database connection is released when the stream ends or fails.
 */
export async function openAccountExport(pool: pg.Pool, userId: string): Promise<AccountExport> {
  const c = await pool.connect();
  let streaming = false;
  try {
    await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const u = await c.query(
      `SELECT u.id, u."realmId", u.username, u.status, u."createdAt", u."lastLoginAt", u."canMessageOtherRealms", u."canCreateWorkspaces",
              u."canCreateInvites", COALESCE(u."quotaBytes", r."defaultQuotaBytes") AS "quotaBytes", u."bytesUsed", u."messageBytes",
              u."workspaceBytes", u."settingsBytes", r.name AS "realmName"
         FROM users u JOIN realms r ON r.id = u."realmId" WHERE u.id = $1`,
      [userId],
    );
    const user = u.rows[0] as { realmId: string; username: string } | undefined;
    if (!user) throw new DomainError("NOSUCHUSER", "No such user.");
    const fullId = `${user.realmId}::${user.username}`;
    const settings = await c.query(
      `SELECT computer, key, value FROM settings WHERE "userId" = $1 ORDER BY computer, key`,
      [userId],
    );
    const computers = await c.query(
      `SELECT name, "createdAt", "lastSeenAt" FROM computers WHERE "userId" = $1 ORDER BY name`,
      [userId],
    );
    const workspaces = await c.query(
      `SELECT w.id, w.name, w."creatorId", w."homeRealmId", m.role, m.status, m."invitedAt", m."joinedAt", m."lastSeenAt"
         FROM workspace_members m JOIN workspaces w ON w.id = m."workspaceId" WHERE m."userId" = $1 ORDER BY w.name, w.id`,
      [userId],
    );
    const inbound = await c.query<{
      id: bigint;
      messageId: string;
      senderId: string;
      sentAt: Date;
      size: bigint;
      stored: string;
      computers: string[];
    }>(
      `SELECT m.id, m."messageId", m."senderId", m."sentAt", m.size, array_agg(DISTINCT r.computer ORDER BY r.computer) AS computers,
              ${STORED_BYTES} AS stored
         FROM message_recipients r JOIN messages m ON m.id = r."messageId"
        WHERE r."userId" = $1 AND m."sentAt" IS NOT NULL GROUP BY m.id ORDER BY m.id`,
      [userId],
    );
    const outbound = await c.query<{
      id: bigint;
      messageId: string;
      sentAt: Date | null;
      size: bigint;
      stored: string;
      recipients: string[];
    }>(
      `SELECT m.id, m."messageId", m."sentAt", m.size, ${STORED_BYTES} AS stored,
              ARRAY(SELECT DISTINCT "recipientId" FROM message_recipients r WHERE r."messageId" = m.id ORDER BY 1) AS recipients
         FROM messages m WHERE m."senderUserId" = $1 ORDER BY m.id`,
      [userId],
    );
    const files: MessageFile[] = [];
    const index: unknown[] = [];
    let i = 0;
    for (const m of inbound.rows) {
      const file = `messages/inbound/${safeName(++i, m.messageId)}`;
      files.push({ name: file, id: m.id, bytes: Number(m.stored) });
      index.push({
        direction: "inbound",
        messageId: m.messageId,
        from: m.senderId,
        computers: m.computers,
        sentAt: m.sentAt,
        size: m.size,
        file,
      });
    }
    for (const m of outbound.rows) {
      const file = `messages/outbound/${safeName(++i, m.messageId)}`;
      files.push({ name: file, id: m.id, bytes: Number(m.stored) });
      index.push({
        direction: "outbound",
        messageId: m.messageId,
        to: m.recipients,
        sentAt: m.sentAt,
        unsent: !m.sentAt,
        size: m.size,
        file,
      });
    }
    const head: Entry[] = [
      {
        name: "README.txt",
        body: Buffer.from(
          `Data export of ${fullId}, made ${new Date().toISOString()}.\n` +
            `profile.json: your account; settings.json: your user (computer "") and computer settings;\n` +
            `computers.json; workspaces.json: your workspace memberships;\n` +
            `messages/index.json: the messages held for you (inbound) and yours still held here (outbound),\n` +
            `each one's bytes in the file named there.\n`,
        ),
      },
      { name: "profile.json", body: json({ userId: fullId, ...u.rows[0] }) },
      { name: "settings.json", body: json(settings.rows) },
      { name: "computers.json", body: json(computers.rows) },
      { name: "workspaces.json", body: json(workspaces.rows) },
      { name: "messages/index.json", body: json(index) },
    ];
    const mtime = new Date();
    const pack = tar.pack();
    streaming = true;
    void (async () => {
      try {
        for (const e of head)
          pack.entry({ name: `opengroove-export/${e.name}`, size: e.body.length, mtime, mode: 0o600 }, e.body);
        for (const f of files) await writeMessage(c, pack, mtime, f);
        await c.query("COMMIT");
        pack.finalize();
        c.release();
      } catch (e) {
        await c.query("ROLLBACK").catch(() => undefined);
        c.release(e instanceof Error ? e : true);
        pack.destroy(e instanceof Error ? e : new Error(String(e)));
      }
    })();
    const stamp = mtime.toISOString().slice(0, 10);
    return {
      filename: `opengroove-export-${user.username.replace(/[^A-Za-z0-9._-]/g, "_")}-${stamp}.tar`,
      stream: Readable.from(pack),
      contentBytes: head.reduce((n, e) => n + e.body.length, 0) + files.reduce((n, f) => n + f.bytes, 0),
    };
  } catch (e) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    if (!streaming) c.release();
  }
}
