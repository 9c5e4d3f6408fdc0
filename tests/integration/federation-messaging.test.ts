// Realm-to-realm federation over real TLS sockets: a management server and three realm daemons
// on loopback, each with its own PostgreSQL database (or all on one: federation-messaging-one-db.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { loadSigningKeys } from "../../lib/federation/local-keys.ts";
import { messageOverheadBytes } from "../../lib/domain/quota-rule.ts";
import {
  startRealmNode,
  federationLayout,
  waitFor,
  nextMessage,
  usage,
  rawPeer,
  type ManagementHarness,
  type RealmNode,
} from "../helpers/federation.ts";
import { federationSuite } from "../helpers/federation-suite.ts";

let m: ManagementHarness;
let r1: RealmNode;
let r2: RealmNode;
let r3: RealmNode;
federationSuite(
  ["r1", "r2", "r3"],
  (realms, management) => {
    [r1, r2, r3] = realms;
    m = management;
  },
  (n) => (n === "r2" ? { maxInboundBytesPerPeer: 3 * 1024 * 1024 } : {}),
);

test("a@R1 sends to b@R2 and c@R3; both download; the sender is charged until both realms took it", async () => {
  const a = await r1.user("alice");
  const b = await r2.user("bob");
  const c = await r3.user("carol");
  await r3.stop(); // R3 is down while R1 forwards: the sender stays charged for it
  const body = crypto.randomBytes(300_000);
  // Generous: the send now asks R2 and R3 about their recipients first (federation.md §4c).
  const bGot = nextMessage(b.client, 30_000).then((got) => ({ got, at: Date.now() }));
  const id = await a.client.send(a.userId, [b.userId, c.userId], body);
  const sealed = Date.now(); // sendmessage answered: the message is sealed on R1
  const { got, at } = await bGot;
  assert.equal(got, id);
  // A bound that catches a delivery waiting for a timer (a retry, a poll gone wrong), not a speed
  // figure: on a loaded test machine a first TLS handshake plus 300 KB takes well over a second
  // (bench/federation-outbox.ts measures the speed).
  assert.ok(at - sealed < 15_000, `messageavailable on the remote realm took ${at - sealed} ms after sendmessage`);
  assert.ok((await b.client.read(id)).equals(body));
  assert.equal((await b.client.messageInfo(id)).sender, a.userId);
  // The data and the overhead of its two recipient entries (quota-rule.ts).
  assert.equal(await usage(r1, a.userId), 300_000n + messageOverheadBytes(2), "still charged: R3 has not taken it");
  assert.equal((await a.client.messageInfo(id)).pendingRecipients, 1, "only c@R3's entry is left");

  await r3.start();
  const c2 = await r3.login("carol", "laptop", c.password);
  await waitFor(async () => (await c2.inbox()).includes(id), 10_000, "c@R3 to get the message");
  assert.ok((await c2.read(id)).equals(body));
  await waitFor(async () => (await usage(r1, a.userId)) === 0n, 5_000, "the sender's bytes to be released");
  assert.deepEqual(await a.client.outbox(), []);
  // The remote realms hold their copies until their recipients delete them.
  assert.equal(await b.client.deleteMessage(id), 300_000n);
  assert.equal(await c2.deleteMessage(id), 300_000n);
});

test("R2 is stopped while R1 queues messages for it; R2 comes back; everything arrives once", async () => {
  const a = await r1.login("alice", "laptop", "correct horse battery");
  const alice = `${r1.realmId}::alice`;
  const bob = `${r2.realmId}::bob`;
  await r2.stop();
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await a.send(alice, [bob], Buffer.from(`queued ${i}`)));
  // One backoff for the connection, not one per row: only the first row is tried.
  await waitFor(
    async () =>
      (
        await r1.db.pool.query(
          `SELECT 1 FROM federation_targets WHERE "sourceRealmId" = $1 AND "targetRealmId" = $2 AND failures >= 1`,
          [r1.realmId, r2.realmId],
        )
      ).rowCount === 1,
    10_000,
    "a failed connection to R2",
  );
  const q = await r1.db.pool.query<{ attempts: number; lastError: string }>(
    `SELECT attempts, "lastError" FROM federation_outbox WHERE "deliveredAt" IS NULL AND "targetRealmId" = $1 ORDER BY id`,
    [r2.realmId],
  );
  assert.equal(q.rows.length, 5);
  assert.ok(q.rows[0].attempts >= 1 && /connect/i.test(q.rows[0].lastError), JSON.stringify(q.rows));
  const t = await r1.db.pool.query<{ failures: number; lastError: string }>(
    `SELECT failures, "lastError" FROM federation_targets WHERE "sourceRealmId" = $1 AND "targetRealmId" = $2`,
    [r1.realmId, r2.realmId],
  );
  assert.ok(t.rows[0].failures >= 1 && /connect/i.test(t.rows[0].lastError), JSON.stringify(t.rows));
  assert.ok((await usage(r1, alice)) > 0n);

  await r2.start(); // a new ephemeral port: R1 learns it from the management server
  const b = await r2.login("bob", "laptop", "correct horse battery");
  await waitFor(async () => (await b.inbox()).length >= 5, 10_000, "bob to get the queued messages");
  await waitFor(async () => (await usage(r1, alice)) === 0n, 5_000, "alice's bytes to be released");
  const inbox = await b.inbox();
  assert.deepEqual([...inbox].sort(), [...ids].sort(), "each message exactly once");
  const stored = await r2.db.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM messages WHERE "messageId" = ANY($1)`,
    [ids],
  );
  assert.equal(Number(stored.rows[0].n), 5);
  for (const [i, id] of ids.entries()) assert.equal((await b.read(id)).toString(), `queued ${i}`);

  // A retry that arrives after bob deleted the message (say R1 crashed before recording the
  // success) is recognised by its id and not stored again.
  await b.deleteMessage(ids[0]);
  const { link, auth } = await rawPeer(r1, r2);
  assert.equal(auth.status, "OK", auth.text);
  const again = await link.request("deliverbegin", [ids[0], alice, "laptop", "8", `${bob}\t`]);
  assert.equal(again.status, "OK");
  assert.equal(again.text, "state=complete");
  link.close();
  assert.deepEqual((await b.inbox()).includes(ids[0]), false);
  for (const id of ids.slice(1)) await b.deleteMessage(id);
});

test("a remote realm cannot exhaust local storage: per-realm limit, and the sender gets a bounce", async () => {
  const a = await r1.login("alice", "laptop", "correct horse battery");
  const alice = `${r1.realmId}::alice`;
  const bob = `${r2.realmId}::bob`;
  const bounced = nextMessage(a);
  const id = await a.send(alice, [bob], crypto.randomBytes(4 * 1024 * 1024)); // R2 takes 3 MiB from R1 at most
  const bounceId = await bounced;
  assert.match(bounceId, new RegExp(`^${r1.realmId}::postmaster-`));
  const text = (await a.read(bounceId)).toString();
  assert.match(text, new RegExp(`message=${id}`));
  assert.match(text, /QUOTAEXCEEDED/);
  assert.equal((await a.messageInfo(bounceId)).sender, `${r1.realmId}::postmaster`);
  await waitFor(async () => (await usage(r1, alice)) === 0n, 5_000, "the refused message to be released");
  const row = await r1.db.pool.query<{ failedAt: Date | null; lastError: string }>(
    `SELECT "failedAt", "lastError" FROM federation_outbox WHERE "targetRealmId" = $1 ORDER BY id DESC LIMIT 1`,
    [r2.realmId],
  );
  assert.ok(row.rows[0].failedAt);
  assert.match(row.rows[0].lastError, /QUOTAEXCEEDED/);
  await a.deleteMessage(bounceId);

  // A recipient that does not exist there is refused at once (R2 is asked first); nothing is sent.
  const b = await r2.login("bob", "laptop", "correct horse battery");
  await assert.rejects(a.send(alice, [bob, `${r2.realmId}::nobody`], Buffer.from("hello")), {
    status: "NOSUCHUSER",
    message: /no such user nobody on realm r2\.test:63745/,
  });
  const id2 = await a.send(alice, [bob], Buffer.from("hello"));
  await waitFor(async () => (await b.inbox()).includes(id2), 5_000, "bob to get the message");
  await b.deleteMessage(id2);
  const held = await r2.db.pool.query<{ bytesHeld: bigint }>(
    `SELECT "bytesHeld" FROM federation_peers WHERE "realmId" = $1`,
    [r1.realmId],
  );
  assert.equal(BigInt(held.rows[0].bytesHeld), 0n, "deleting releases the sending realm's allowance");
});

test("R3 tries to deliver a message as a user of R1: refused and logged", async () => {
  const { link, auth } = await rawPeer(r3, r2);
  assert.equal(auth.status, "OK", auth.text);
  const forged = `${r1.realmId}::alice-forged1`;
  const r = await link.request("deliverbegin", [forged, `${r1.realmId}::alice`, "laptop", "5", `${r2.realmId}::bob\t`]);
  assert.equal(r.status, "UNAUTHORIZED");
  assert.match(r.text, /belongs to another realm/);
  link.close();
  assert.ok(
    r2.logs.some((l) => l.includes("claims a sender of another realm") && l.includes(r3.realmId) && l.includes(forged)),
  );
  const audit = await r2.db.pool.query<{ actorLabel: string; action: string }>(
    `SELECT "actorLabel", action FROM audit_log WHERE "targetId" = $1`,
    [forged],
  );
  assert.deepEqual(audit.rows, [{ actorLabel: `realm:${r3.realmId}`, action: "federation.sender-spoof-refused" }]);
  const stored = await r2.db.pool.query(`SELECT 1 FROM messages WHERE "messageId" = $1`, [forged]);
  assert.equal(stored.rowCount, 0);
});

test("key rotation while messages flow loses nothing", async () => {
  const a = await r1.login("alice", "laptop", "correct horse battery");
  const b = await r2.login("bob", "laptop", "correct horse battery");
  const alice = `${r1.realmId}::alice`;
  const bob = `${r2.realmId}::bob`;
  const oldFp = (await loadSigningKeys(r1.db.pool, r1.realmId))[0].fingerprint;
  const ids: string[] = [];
  const sending = (async () => {
    for (let i = 0; i < 12; i++) {
      ids.push(await a.send(alice, [bob], Buffer.from(`during rotation ${i}`)));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await new Promise((r) => setTimeout(r, 80));
  const newFp = await r1.daemon.federation!.rotateKey(r1.realmId);
  await sending;
  await waitFor(async () => (await b.inbox()).length === 12, 10_000, "all 12 messages at bob");
  assert.deepEqual([...(await b.inbox())].sort(), [...ids].sort());

  // The management server lists both keys for the overlap window.
  const keys = await m.db.pool.query<{ fingerprint: string; validUntil: Date | null }>(
    `SELECT fingerprint, "validUntil" FROM known_realm_keys WHERE "realmId" = $1`,
    [r1.realmId],
  );
  const byFp = new Map(keys.rows.map((k) => [k.fingerprint, k.validUntil]));
  assert.equal(byFp.get(newFp), null);
  const oldUntil = byFp.get(oldFp)!;
  assert.ok(oldUntil.getTime() > Date.now() && oldUntil.getTime() <= Date.now() + 61_000, String(oldUntil));

  // The overlap ends: R1 proves itself with the new key only; R2 learns it from the registry.
  await r1.db.pool.query(`UPDATE realm_keys SET "validUntil" = now() WHERE fingerprint = $1`, [oldFp]);
  await m.db.pool.query(`UPDATE known_realm_keys SET "validUntil" = now() WHERE fingerprint = $1`, [oldFp]);
  r1.daemon.federation!.outbox.dropLinks(r2.realmId);
  const last = await a.send(alice, [bob], Buffer.from("after the overlap"));
  await waitFor(async () => (await b.inbox()).includes(last), 5_000, "the message signed with the new key only");
  const cached = await r2.db.pool.query(
    `SELECT 1 FROM federation_peer_keys WHERE "realmId" = $1 AND fingerprint = $2 AND "revokedAt" IS NULL`,
    [r1.realmId, newFp],
  );
  assert.equal(cached.rowCount, 1);
  for (const id of await b.inbox()) await b.deleteMessage(id);
  await waitFor(async () => (await usage(r1, alice)) === 0n, 5_000, "alice released");
});

test("management server down: known realms keep exchanging; a realm never seen is refused with a clear error", async () => {
  const r4 = await startRealmNode("r4", m.address, {
    token: await m.token(),
    shareDbWith: federationLayout() === "one-db" ? r1 : undefined,
  });
  try {
    await r4.waitApproved();
    const dave = await r4.user("dave");
    await m.stop();
    await new Promise((r) => setTimeout(r, 1_200)); // past peerCacheFreshMs: only the cache can answer now

    const a = await r1.login("alice", "laptop", "correct horse battery");
    const b = await r2.login("bob", "laptop", "correct horse battery");
    const alice = `${r1.realmId}::alice`;
    const bob = `${r2.realmId}::bob`;
    const got = nextMessage(b);
    const id = await a.send(alice, [bob], Buffer.from("while the management server is down"));
    assert.equal(await got, id);
    const reply = nextMessage(a);
    const back = await b.send(bob, [alice], Buffer.from("reply"));
    assert.equal(await reply, back);
    assert.equal((await a.read(back)).toString(), "reply");

    // R4 was never seen by R1: it cannot be verified and is refused.
    const { link, auth } = await rawPeer(r4, r1);
    link.close();
    assert.equal(auth.status, "BADAUTH");
    assert.match(
      auth.text,
      /cannot verify realm r4\.test:63745: this realm has never seen it and the management server is unreachable/,
    );
    // A message for R4 waits (it is not bounced) ...
    const toDave = await a.send(alice, [dave.userId], Buffer.from("for dave"));
    await waitFor(
      async () => {
        const r = await r1.db.pool.query<{ lastError: string | null }>(
          `SELECT "lastError" FROM federation_outbox WHERE "targetRealmId" = $1 AND "deliveredAt" IS NULL AND "failedAt" IS NULL`,
          [r4.realmId],
        );
        return /cannot verify realm r4/.test(r.rows[0]?.lastError ?? "");
      },
      5_000,
      "the delivery to R4 to wait for verification",
    );
    // ... and goes once the management server is back.
    await m.restart();
    await waitFor(async () => (await dave.client.inbox()).includes(toDave), 10_000, "dave@R4 to get the message");
    for (const x of [id, back]) await (x === id ? b : a).deleteMessage(x);
  } finally {
    await r4.drop();
  }
});

test("a revoked realm is refused", async () => {
  await r1.waitApproved();
  await m.setStatus(r3.realmId, "REVOKED");
  // Realms re-fetch every cached peer every peerRefreshMs (30 s in production, 0.5 s here).
  const t0 = Date.now();
  for (const target of [r1, r2]) {
    await waitFor(
      async () => {
        // (A connection caught by the refresh itself is simply closed.)
        const r = await rawPeer(r3, target).catch(() => null);
        r?.link.close();
        return r?.auth.status === "UNAUTHORIZED" && /revoked/.test(r.auth.text);
      },
      5_000,
      `${target.realmId} to refuse R3`,
    );
  }
  assert.ok(Date.now() - t0 < 3 * 500 + 1_000, "within a few refresh intervals");
  // Messages to it bounce; the management server refuses it too.
  const a = await r1.login("alice", "laptop", "correct horse battery");
  const bounced = nextMessage(a);
  const id = await a.send(`${r1.realmId}::alice`, [`${r3.realmId}::carol`], Buffer.from("to a revoked realm"));
  const text = (await a.read(await bounced)).toString();
  assert.match(text, new RegExp(`message=${id}`));
  assert.match(text, /UNAUTHORIZED.*revoked/);
  await waitFor(() => r3.linkState() === "refused", 5_000, "the management server to refuse R3");
});
