// A user's own data export: everything the realm holds for them, as one tar archive —
//   README.txt, profile.json (account, quota, permissions), settings.json (user and computer
//   settings), computers.json, workspaces.json (memberships), messages/index.json and the
//   waiting messages as files: messages/inbound/* (sent to them, not yet deleted by them) and
//   messages/outbound/* (theirs, held here until every recipient has downloaded them).
// Read in one REPEATABLE READ snapshot, so the archive is consistent.
import type pg from "pg";
import tar from "tar-stream";
import { DomainError } from "./errors.ts";

type Entry = { name: string; body: Buffer };

function safeName(i: number, messageId: string): string {
  return `${String(i).padStart(5, "0")}-${messageId.replace(/[^A-Za-z0-9._-]+/g, "_").slice(-120)}.bin`;
}

const json = (v: unknown) =>
  Buffer.from(JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x), 2) + "\n");

async function messageBytes(c: pg.PoolClient, id: bigint, size: bigint): Promise<Buffer> {
  const r = await c.query<{ data: Buffer }>(`SELECT data FROM message_blocks WHERE "messageId" = $1 ORDER BY block`, [
    id,
  ]);
  return Buffer.concat(r.rows.map((x) => x.data)).subarray(0, Number(size));
}

/** Collects the archive's entries (the realm's quota bounds their size). */
export async function collectAccountExport(
  pool: pg.Pool,
  userId: string,
): Promise<{ username: string; entries: Entry[] }> {
  const c = await pool.connect();
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
      computers: string[];
    }>(
      `SELECT m.id, m."messageId", m."senderId", m."sentAt", m.size, array_agg(DISTINCT r.computer ORDER BY r.computer) AS computers
         FROM message_recipients r JOIN messages m ON m.id = r."messageId"
        WHERE r."userId" = $1 AND m."sentAt" IS NOT NULL GROUP BY m.id ORDER BY m.id`,
      [userId],
    );
    const outbound = await c.query<{
      id: bigint;
      messageId: string;
      sentAt: Date | null;
      size: bigint;
      recipients: string[];
    }>(
      `SELECT m.id, m."messageId", m."sentAt", m.size,
              ARRAY(SELECT DISTINCT "recipientId" FROM message_recipients r WHERE r."messageId" = m.id ORDER BY 1) AS recipients
         FROM messages m WHERE m."senderUserId" = $1 ORDER BY m.id`,
      [userId],
    );
    const entries: Entry[] = [];
    const index: unknown[] = [];
    let i = 0;
    for (const m of inbound.rows) {
      const file = `messages/inbound/${safeName(++i, m.messageId)}`;
      entries.push({ name: file, body: await messageBytes(c, m.id, m.size) });
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
      entries.push({ name: file, body: await messageBytes(c, m.id, m.size) });
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
    await c.query("COMMIT");
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
    return { username: user.username, entries: [...head, ...entries] };
  } catch (e) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}

/** The export as a tar archive in memory. */
export async function exportAccountTar(pool: pg.Pool, userId: string): Promise<{ filename: string; tar: Buffer }> {
  const { username, entries } = await collectAccountExport(pool, userId);
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (d: unknown) => chunks.push(d as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on("end", resolve);
    pack.on("error", reject);
  });
  const mtime = new Date();
  for (const e of entries)
    pack.entry({ name: `opengroove-export/${e.name}`, size: e.body.length, mtime, mode: 0o600 }, e.body);
  pack.finalize();
  await done;
  const stamp = mtime.toISOString().slice(0, 10);
  return {
    filename: `opengroove-export-${username.replace(/[^A-Za-z0-9._-]/g, "_")}-${stamp}.tar`,
    tar: Buffer.concat(chunks),
  };
}
