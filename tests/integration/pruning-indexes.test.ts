// Unbounded tables and hot queries: the realm daemon's sweep prunes old rate-limit buckets and
// delivered federation outbox rows (and nothing else), and the queries run every minute or on
// every workspacebegin can use an index.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness({ retentionSweepMs: 300 });
});
after(async () => h.stop());

test("the sweep deletes rate-limit buckets a day old and delivered outbox rows a day old, keeping the rest", async () => {
  const pool = h.db.pool;
  await pool.query(
    `INSERT INTO rate_limit_buckets (key, "windowStart", count) VALUES
       ('old:1', now() - interval '2 days', 3), ('old:2', now() - interval '25 hours', 1), ('fresh:1', now(), 1),
       ('fresh:2', now() - interval '20 hours', 9)`,
  );
  await pool.query(
    `INSERT INTO federation_outbox ("targetRealmId", kind, "deliveredAt", "createdAt", "lastError") VALUES
       ('peer.test:63745', 'ws-invite', now() - interval '2 days', now() - interval '2 days', 'old delivered'),
       ('peer.test:63745', 'ws-invite', now() - interval '1 hour', now() - interval '1 hour', 'recent delivered'),
       ('peer.test:63745', 'ws-invite', NULL, now() - interval '3 days', 'still pending'),
       ('peer.test:63745', 'ws-invite', NULL, now() - interval '3 days', 'failed')`,
  );
  await pool.query(`UPDATE federation_outbox SET "failedAt" = now() - interval '3 days' WHERE "lastError" = 'failed'`);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const left = await pool.query(`SELECT 1 FROM rate_limit_buckets WHERE key LIKE 'old:%'
                                   UNION ALL SELECT 1 FROM federation_outbox WHERE "lastError" = 'old delivered'`);
    if (!left.rowCount) break;
    assert.ok(Date.now() < deadline, "the sweep did not prune within 10 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  const keys = await pool.query<{ key: string }>(
    `SELECT key FROM rate_limit_buckets WHERE key LIKE 'fresh:%' ORDER BY key`,
  );
  assert.deepEqual(
    keys.rows.map((r) => r.key),
    ["fresh:1", "fresh:2"],
  );
  const rows = await pool.query<{ lastError: string }>(
    `SELECT "lastError" FROM federation_outbox WHERE "targetRealmId" = 'peer.test:63745' ORDER BY "lastError"`,
  );
  assert.deepEqual(
    rows.rows.map((r) => r.lastError),
    ["failed", "recent delivered", "still pending"],
  );
});

async function plan(sql: string, params: unknown[]): Promise<string> {
  const c = await h.db.pool.connect();
  try {
    // Tiny test tables would be scanned anyway: forbid the scan to learn whether an index exists.
    await c.query("BEGIN");
    await c.query("SET LOCAL enable_seqscan = off");
    const r = await c.query<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`, params);
    return r.rows.map((x) => x["QUERY PLAN"]).join("\n");
  } finally {
    await c.query("ROLLBACK");
    c.release();
  }
}

test("the retention sweep and the open-changes count use indexes", async () => {
  const expiry = await plan(`SELECT id FROM messages WHERE "expiresAt" < now() ORDER BY "expiresAt" LIMIT 500`, []);
  assert.match(expiry, /messages_expiresAt_idx/, expiry);
  const open = await plan(
    `SELECT count(*) AS n FROM workspace_changes WHERE "authorUserId" = $1 AND seq IS NULL AND "forwardedAt" IS NULL`,
    ["some-user"],
  );
  assert.match(open, /workspace_changes_authorUserId_idx/, open);
});
