// Sending to a user of another realm: that realm is asked first (checkusers over the real
// realm-to-realm TLS link), so an unknown user is refused at once with a clear reason; when the
// realm cannot be asked the message is queued and the sender is told so; and a bounce that
// comes later reads as a letter, with the machine-readable report kept as its last section.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeEnvelope, encodeEnvelope } from "../../lib/envelope.ts";
import { waitFor, nextMessage, usage, type RealmNode } from "../helpers/federation.ts";
import { federationSuite } from "../helpers/federation-suite.ts";

let r1: RealmNode;
let r2: RealmNode;
federationSuite(["c1", "c2"], (realms) => ([r1, r2] = realms));

const letter = (subject: string, text: string) =>
  Buffer.from(encodeEnvelope({ subject, contentType: "text/plain; charset=utf-8" }, Buffer.from(text)));

test("a user that does not exist on a reachable realm is refused at once, by createmessage and postmessage", async () => {
  const a = await r1.user("alice");
  const b = await r2.user("bob");
  const carol = `${r2.realmId}::carol`;
  const id = a.client.newMessageId(a.userId);
  const r = await a.client.request("createmessage", [id, carol]);
  assert.equal(r.status, "NOSUCHUSER");
  assert.equal(r.text, "no such user carol on realm c2.test:63745");
  // Small messages go through postmessage: the same check.
  await assert.rejects(a.client.send(a.userId, [b.userId, carol], letter("Hi", "hello")), {
    status: "NOSUCHUSER",
    message: /no such user carol on realm c2\.test:63745/,
  });
  // Nothing was stored or queued, nothing is charged.
  const q = await r1.db.pool.query(`SELECT 1 FROM federation_outbox WHERE "targetRealmId" = $1`, [r2.realmId]);
  assert.equal(q.rowCount, 0);
  assert.equal(await usage(r1, a.userId), 0n);

  // An existing user (any case) passes the check, with no "queued" note, and gets the message.
  const id2 = a.client.newMessageId(a.userId);
  const ok = await a.client.request("createmessage", [id2, `${r2.realmId}::BOB`]);
  assert.equal(ok.status, "OK", ok.text);
  assert.deepEqual(ok.lines, []);
  await a.client.deleteMessage(id2);
  const sent = await a.client.send(a.userId, [b.userId], letter("Hi", "hello"));
  await waitFor(async () => (await b.client.inbox()).includes(sent), 10_000, "bob to get the message");
  await b.client.deleteMessage(sent);
});

test("an unreachable realm: queued and said so; the later bounce is a readable letter with the report last", async () => {
  const a = await r1.login("alice", "laptop", "correct horse battery");
  const alice = `${r1.realmId}::alice`;
  const carol = `${r2.realmId}::carol`;
  await r2.stop();
  const id = a.newMessageId(alice);
  const r = await a.request("createmessage", [id, carol]);
  assert.equal(r.status, "OK", r.text);
  assert.equal(r.lines.length, 1);
  assert.match(r.lines[0], /^queued=c2\.test:63745\t\S/);
  await a.call("setmessagesize", [id, String(letter("Lunch on Friday?", "Are you free?").length)]);
  const body = letter("Lunch on Friday?", "Are you free?");
  await a.writeMessageData(id, 0, body);
  const bounced = nextMessage(a, 30_000);
  await a.sendMessage(id);

  await r2.start();
  const bounceId = await bounced;
  assert.match(bounceId, new RegExp(`^${r1.realmId}::postmaster-`));
  const { header, body: text, raw } = decodeEnvelope(await a.read(bounceId));
  assert.equal(raw, false);
  assert.equal(header.subject, "Undelivered: Lunch on Friday?");
  assert.equal(header.contentType, "text/plain; charset=utf-8");
  const s = text.toString("utf8");
  const lines = s.split("\n");
  assert.equal(
    lines[0],
    "Your message “Lunch on Friday?” could not be delivered to c2.test:63745::carol: no such user.",
  );
  assert.match(s, /It was sent on \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
  // The machine-readable part is the trailing section, unchanged in form.
  const mark = lines.indexOf("--- delivery report (machine-readable) ---");
  assert.ok(mark > 0, s);
  assert.deepEqual(lines.slice(mark + 1, mark + 4), [
    "OpenGroove delivery failure",
    `message=${id}`,
    `realm=${r2.realmId}`,
  ]);
  assert.match(lines[mark + 4], /^refused=c2\.test:63745::carol\tNOSUCHUSER\t/);
  await waitFor(async () => (await usage(r1, alice)) === 0n, 5_000, "the refused message to be released");
  await a.deleteMessage(bounceId);
});
