// Issue #17: the per-peer rows of realms this realm stopped talking to long ago are pruned by the
// sweep (lib/domain/pruning.ts): a federation_targets row with nothing queued and nothing sent or
// failed for a week, and a cached peer no longer approved that holds nothing here. Rows still in
// use stay; and a row queued while the sweep runs always finds its target row (concurrent test).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { pruneTables } from "../../lib/domain/pruning.ts";

let db: TestDb;
before(async () => {
  db = await createTestDb();
});
after(async () => db?.drop());

const SRC = "home.test:63745";

async function target(name: string, extra = "") {
  await db.pool.query(
    `INSERT INTO federation_targets ("sourceRealmId", "targetRealmId", "nextAttemptAt") VALUES ($1, $2, now() - interval '30 days')`,
    [SRC, name],
  );
  if (extra) await db.pool.query(`UPDATE federation_targets SET ${extra} WHERE "targetRealmId" = $1`, [name]);
}

async function outbox(targetRealmId: string, createdAgo: string, state: "pending" | "delivered" | "failed") {
  await db.pool.query(
    `INSERT INTO federation_outbox ("sourceRealmId", "targetRealmId", kind, "createdAt", "deliveredAt", "failedAt")
     VALUES ($1, $2, 'ws-invite', now() - $3::interval,
             CASE WHEN $4 = 'delivered' THEN now() - $3::interval END, CASE WHEN $4 = 'failed' THEN now() - $3::interval END)`,
    [SRC, targetRealmId, createdAgo, state],
  );
}

test("idle federation targets and cached peers of realms gone for long are pruned; those in use stay", async () => {
  const pool = db.pool;
  await target("gone.test:63745");
  await target("old-delivered.test:63745");
  await outbox("old-delivered.test:63745", "10 days", "delivered");
  await target("old-failed.test:63745");
  await outbox("old-failed.test:63745", "9 days", "failed");
  await target("pending.test:63745");
  await outbox("pending.test:63745", "20 days", "pending");
  // Served two days ago: its delivered row is gone after a day, the target stays for the week.
  await target("recent.test:63745", `"nextAttemptAt" = now() - interval '2 days'`);
  await outbox("recent.test:63745", "2 days", "delivered");
  await target("failing.test:63745", `failures = 3, "lastFailureAt" = now() - interval '1 day'`);
  await target("leased.test:63745", `"leaseOwner" = 'x', "leaseUntil" = now() + interval '1 minute'`);
  await pool.query(
    `INSERT INTO federation_peers ("realmId", address, status, "bytesHeld") VALUES
       ('gone.test:63745', '', 'PENDING', 0), ('revoked.test:63745', '', 'REVOKED', 0),
       ('approved.test:63745', '127.0.0.1:1', 'APPROVED', 0), ('holding.test:63745', '', 'REVOKED', 5),
       ('pending.test:63745', '', 'PENDING', 0)`,
  );
  await pool.query(
    `INSERT INTO federation_peer_keys ("realmId", fingerprint, "publicKeyPem", "validFrom") VALUES ('revoked.test:63745', 'f', 'k', now())`,
  );

  const r = await pruneTables(pool);
  assert.equal(r.idleTargets, 3);
  const targets = await pool.query<{ targetRealmId: string }>(
    `SELECT "targetRealmId" FROM federation_targets ORDER BY 1`,
  );
  assert.deepEqual(
    targets.rows.map((x) => x.targetRealmId),
    ["failing.test:63745", "leased.test:63745", "pending.test:63745", "recent.test:63745"],
  );
  const peers = await pool.query<{ realmId: string }>(`SELECT "realmId" FROM federation_peers ORDER BY 1`);
  assert.deepEqual(
    peers.rows.map((x) => x.realmId),
    ["approved.test:63745", "holding.test:63745", "pending.test:63745"],
  );
  assert.equal(r.gonePeers, 2);
  const keys = await pool.query(`SELECT 1 FROM federation_peer_keys WHERE "realmId" = 'revoked.test:63745'`);
  assert.equal(keys.rowCount, 0, "the peer's keys went with it");
  // A second run finds nothing more.
  assert.deepEqual(await pruneTables(pool), { rateLimitBuckets: 0, deliveredOutbox: 0, idleTargets: 0, gonePeers: 0 });
});

test("rows queued while the sweep prunes always keep their target row (concurrent)", async () => {
  const pool = db.pool;
  const names = Array.from({ length: 12 }, (_, i) => `race${i}.test:63745`);
  for (let round = 0; round < 5; round++) {
    await pool.query(`DELETE FROM federation_outbox WHERE "targetRealmId" LIKE 'race%'`);
    await pool.query(`DELETE FROM federation_targets WHERE "targetRealmId" LIKE 'race%'`);
    for (const n of names) await target(n);
    // Each insert in its own transaction that holds on a moment after the trigger found the
    // (idle, about to be pruned) target row, while sweeps run beside them.
    const inserts = names.map(async (n, i) => {
      const c = await pool.connect();
      try {
        await c.query("BEGIN");
        await c.query(
          `INSERT INTO federation_outbox ("sourceRealmId", "targetRealmId", kind) VALUES ($1, $2, 'ws-invite')`,
          [SRC, n],
        );
        await new Promise((r) => setTimeout(r, 5 * (i % 4)));
        await c.query("COMMIT");
      } finally {
        c.release();
      }
    });
    await Promise.all([...inserts, pruneTables(pool), pruneTables(pool), pruneTables(pool)]);
    await pruneTables(pool);
    const orphans = await pool.query<{ targetRealmId: string }>(
      `SELECT o."targetRealmId" FROM federation_outbox o
        WHERE o."targetRealmId" LIKE 'race%' AND o."deliveredAt" IS NULL AND o."failedAt" IS NULL
          AND NOT EXISTS (SELECT 1 FROM federation_targets t WHERE t."sourceRealmId" = o."sourceRealmId" AND t."targetRealmId" = o."targetRealmId")`,
    );
    assert.deepEqual(orphans.rows, [], `round ${round}: queued rows without a target row (never delivered)`);
  }
});
