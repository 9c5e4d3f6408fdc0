// `readmessages` (the first block of many messages in one request) and the SDK's drain on it:
// order, the access rule, messages larger than a block, the reply's byte budget, bad arguments,
// and the fallback to readmessagedata against a server without the command.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { OpenGrooveError } from "../../client/sdk/index.ts";
import { drainInbox, type DrainTarget } from "../../client/sdk/drain.ts";
import { CHUNK_BYTES } from "../../client/sdk/client.ts";
import { decodeReadMany } from "../../lib/protocol/read-many.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

const sha = (b: Uint8Array) => crypto.createHash("sha256").update(b).digest("hex");

test("readmessages answers each id in order: bodies for the recipient and the sender, NOSUCHMESSAGE otherwise", async () => {
  const alice = await h.user(h.plainRealm, "rm_alice");
  const bob = await h.user(h.plainRealm, "rm_bob");
  const carol = await h.user(h.plainRealm, "rm_carol");
  const toBob = await alice.client.send(alice.userId, [bob.userId], Buffer.from("for bob"));
  const empty = await alice.client.send(alice.userId, [bob.userId], Buffer.alloc(0));
  const toCarol = await alice.client.send(alice.userId, [carol.userId], Buffer.from("for carol"));
  const ids = [toBob, `${alice.userId}-nope`, toCarol, empty];
  const asBob = decodeReadMany((await bob.client.call("readmessages", ids)).data, ids.length);
  assert.ok(asBob.ok);
  assert.deepEqual(
    asBob.value.map((e) => (e.status === "OK" ? `OK ${e.size} ${Buffer.from(e.data).toString()}` : e.status)),
    ["OK 7 for bob", "NOSUCHMESSAGE", "NOSUCHMESSAGE", "OK 0 "],
  );
  const asAlice = decodeReadMany((await alice.client.call("readmessages", [toCarol])).data, 1);
  assert.ok(asAlice.ok);
  assert.equal(asAlice.value[0].status === "OK" && Buffer.from(asAlice.value[0].data).toString(), "for carol");
});

test("readmessages refuses no ids and more than 256", async () => {
  const dave = await h.user(h.plainRealm, "rm_dave");
  for (const ids of [[], Array.from({ length: 257 }, (_, i) => `${dave.userId}-${i}`)]) {
    const err = await dave.client.call("readmessages", ids).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof OpenGrooveError && err.status === "BADARGUMENTS", String(err));
  }
});

test("receiveAll takes large messages and more than one packet's worth whole, through readmessages and readmessagedata", async () => {
  const eve = await h.user(h.plainRealm, "rm_eve");
  const frank = await h.user(h.plainRealm, "rm_frank");
  // 20 × 60 KiB does not fit one 1 MiB reply (later entries come without data), plus two
  // messages larger than a block (their first block, then the rest).
  const bodies = [
    ...Array.from({ length: 20 }, () => crypto.randomBytes(60 * 1024)),
    crypto.randomBytes(150 * 1024),
    crypto.randomBytes(CHUNK_BYTES + 1),
    Buffer.from("small"),
  ];
  const sent = new Map<string, string>();
  for (const b of bodies) sent.set(await eve.client.send(eve.userId, [frank.userId], b), sha(b));
  let requests = 0;
  const counting: DrainTarget = {
    call: (c, a) => {
      if (c === "readmessages") requests++;
      return frank.client.call(c, a);
    },
    inboxPages: (n) => frank.client.inboxPages(n),
    readMessageData: (id, o, l) => frank.client.readMessageData(id, o, l),
    deleteMessages: (ids) => frank.client.deleteMessages(ids),
  };
  const got = new Map<string, string>();
  assert.equal(
    await drainInbox(counting, (id, b) => void got.set(id, sha(b)), { pageSize: 1000, chunkBytes: CHUNK_BYTES }),
    bodies.length,
  );
  assert.deepEqual(got, sent);
  assert.equal(requests, 1, "one readmessages for the window");
  assert.deepEqual(await frank.client.inbox(), []);
});

test("against a server without readmessages the drain reads message by message", async () => {
  const gina = await h.user(h.plainRealm, "rm_gina");
  const hank = await h.user(h.plainRealm, "rm_hank");
  const sent = new Map<string, string>();
  for (let k = 0; k < 40; k++) {
    const b = crypto.randomBytes(100 + k);
    sent.set(await gina.client.send(gina.userId, [hank.userId], b), sha(b));
  }
  let reads = 0;
  const old: DrainTarget = {
    call: (c, a) => {
      if (c === "readmessages") return Promise.reject(new OpenGrooveError("UNKNOWNCOMMAND", "no such command", c));
      return hank.client.call(c, a);
    },
    inboxPages: (n) => hank.client.inboxPages(n),
    readMessageData: (id, o, l) => {
      reads++;
      return hank.client.readMessageData(id, o, l);
    },
    deleteMessages: (ids) => hank.client.deleteMessages(ids),
  };
  const got = new Map<string, string>();
  assert.equal(
    await drainInbox(old, (id, b) => void got.set(id, sha(b)), { pageSize: 1000, chunkBytes: CHUNK_BYTES }),
    40,
  );
  assert.deepEqual(got, sent);
  assert.equal(reads, 40);
});
