// `npx tsx bench/explain-batch.ts [N]`: EXPLAIN ANALYZE of every statement of a group-commit
// batch (lib/domain/message-batch.ts) with N messages (default 100,000) already waiting: a batch
// of 32 postmessages, then a batch of 64 deletes. Each statement is first run under EXPLAIN
// ANALYZE inside a savepoint that is rolled back, then for real. Shows whether a statement
// walks an index or scans a table that grows with the store.
import type pg from "pg";
import { benchPostgres } from "./embedded-pg.ts";

const n = Number(process.argv[2] ?? 100_000);
const server = await benchPostgres("og-explain");
const { createBenchDb, makeUsers, REALM } = await import("./setup.ts");
const { preload } = await import("./scenarios.ts");
const { runMessageBatch } = await import("../lib/domain/message-batch.ts");
type MessageOp = import("../lib/domain/message-batch.ts").MessageOp;

const db = await createBenchDb();
try {
  const [sender] = await makeUsers(db.pool, "xs", 1);
  const readers = await makeUsers(db.pool, "xr", 100);
  const ids = await db.pool.query<{ id: string; username: string }>(
    `SELECT id, username FROM users WHERE username = ANY($1::text[])`,
    [readers.map((r) => r.username)],
  );
  if (n)
    await preload(db.pool, n, {
      sender: sender.username,
      readerNames: ids.rows.map((r) => r.username),
      readerIds: ids.rows.map((r) => r.id),
    });
  const senders = await makeUsers(db.pool, "xp", 32);
  const sid = await db.pool.query<{ id: string; username: string }>(
    `SELECT id, username FROM users WHERE username = ANY($1::text[])`,
    [senders.map((s) => s.username)],
  );
  const caller = (u: { id: string; username: string }, computer = "laptop") => ({
    realmId: REALM,
    userId: u.id,
    fullId: `${REALM}::${u.username}`,
    computer,
  });
  // A pool whose clients EXPLAIN ANALYZE each named statement first (in a savepoint rolled back).
  const explaining = {
    async connect() {
      const c = await db.pool.connect();
      let inTx = false;
      const query = c.query.bind(c) as (q: unknown, v?: unknown) => Promise<pg.QueryResult>;
      return Object.assign(Object.create(c) as pg.PoolClient, {
        release: () => c.release(),
        async query(q: string | pg.QueryConfig, v?: unknown[]) {
          if (typeof q === "string") {
            if (q === "BEGIN") inTx = true;
            if (q === "COMMIT" || q === "ROLLBACK") inTx = false;
            return query(q, v);
          }
          await query(inTx ? "SAVEPOINT x" : "BEGIN");
          const plan = await query(`EXPLAIN (ANALYZE, COSTS OFF) ${q.text}`, q.values);
          await query(inTx ? "ROLLBACK TO SAVEPOINT x" : "ROLLBACK");
          console.log(`\n--- ${q.text.replace(/\s+/g, " ").slice(0, 90)}…`);
          for (const r of plan.rows as Array<Record<string, string>>) console.log(r["QUERY PLAN"]);
          return query(q);
        },
      });
    },
  } as unknown as pg.Pool;
  const body = Buffer.alloc(1024, 1);
  const posts: MessageOp[] = sid.rows.flatMap((u, i) =>
    [0, 1].map((k) => ({
      kind: "post" as const,
      caller: caller(u),
      messageId: `${REALM}::${u.username}-x${k}`,
      recipients: [{ recipientId: `${REALM}::${ids.rows[i % ids.rows.length].username}`, computer: "" }],
      body,
      retentionDays: 7,
    })),
  );
  console.log(`=== ${n} messages waiting; a batch of ${posts.length} postmessages`);
  await runMessageBatch(explaining, posts, "explain");
  const waiting = await db.pool.query<{ messageId: string; userId: string; username: string }>(
    `SELECT m."messageId", r."userId", u.username FROM message_recipients r JOIN messages m ON m.id = r."messageId" JOIN users u ON u.id = r."userId" ORDER BY r."messageId" DESC LIMIT 64`,
  );
  console.log(`\n=== a batch of ${waiting.rowCount} deletes`);
  await runMessageBatch(
    explaining,
    waiting.rows.map((w) => ({
      kind: "delete" as const,
      caller: caller({ id: w.userId, username: w.username }),
      messageId: w.messageId,
    })),
    "explain",
  );
} finally {
  await db.drop();
  await server.stop();
}
