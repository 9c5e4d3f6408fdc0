// A pooled connection that dies while it is checked out (PostgreSQL restarted or the backend
// terminated between two statements of a transaction) must fail that transaction, not crash the
// process with an unhandled 'error' event (found by the chaos suite's PostgreSQL restart case).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { connectDb } from "../../lib/db/client.ts";
import { tx } from "../../lib/db/tx.ts";

let db: TestDb;
before(async () => {
  db = await createTestDb();
});
after(async () => db.drop());

test("a checked-out connection terminated between statements fails its transaction and the pool recovers", async () => {
  const handle = connectDb(db.url, { max: 2 });
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on("uncaughtException", onUncaught);
  try {
    const result = await tx(handle.pool, async (c) => {
      const pid = (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
      // Terminated from outside while this transaction holds the connection and runs nothing.
      await db.pool.query("SELECT pg_terminate_backend($1)", [pid]);
      await new Promise((r) => setTimeout(r, 300));
      await c.query("SELECT 1");
      return "committed";
    }).then(
      (r) => r,
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    assert.notEqual(result, "committed");
    assert.deepEqual(uncaught, [], "no uncaught 'error' event");
    // The dead client left the pool: the next statements work.
    assert.equal((await handle.pool.query<{ x: number }>("SELECT 1 AS x")).rows[0].x, 1);
    assert.equal((await tx(handle.pool, (c) => c.query<{ x: number }>("SELECT 2 AS x"))).rows[0].x, 2);
  } finally {
    process.off("uncaughtException", onUncaught);
    await handle.close();
  }
});
