import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeEnvelope } from "../../lib/envelope.ts";
import { bounceText, encodeBounce, explainRefusal, subjectOf } from "../../lib/federation/bounce-text.ts";
import { encodeEnvelope } from "../../lib/envelope.ts";

const refusal = (n: number) => ({ recipientId: `r.test:1::user${n}`, status: "NOSUCHUSER", reason: `no user ${n}` });

test("a bounce without a readable subject names the message id; statuses read as phrases", () => {
  const t = bounceText({ messageId: "a.test:1::al-x1", targetRealmId: "r.test:1", refusals: [refusal(1)] });
  assert.match(t, /^Your message a\.test:1::al-x1 could not be delivered to r\.test:1::user1: no such user\.\n/);
  assert.equal(explainRefusal("QUOTAEXCEEDED", "", "r.test:1").includes("storage limit"), true);
  assert.equal(
    explainRefusal("TIMEOUT", "", "r.test:1"),
    "realm r.test:1 could not be reached for a long time, so delivery was given up",
  );
  assert.equal(explainRefusal("WEIRD", "odd", "r.test:1"), "weird: odd");
});

test("the subject comes from the refused message's envelope; raw bodies have none", () => {
  const env = encodeEnvelope({ subject: "Plans\tfor\nMay", contentType: "text/plain" }, new Uint8Array([1]));
  assert.equal(subjectOf(env), "Plans for May");
  assert.equal(subjectOf(new Uint8Array([1, 2, 3])), undefined);
  assert.equal(subjectOf(undefined), undefined);
});

test("a bounce for many recipients lists 20 in the letter and stays within one block, as an envelope", () => {
  const refusals = Array.from({ length: 2000 }, (_, i) => refusal(i));
  const bytes = encodeBounce({ messageId: "m", subject: "S", targetRealmId: "r.test:1", refusals }, 65_536);
  assert.ok(bytes.length <= 65_536, `${bytes.length}`);
  const { header, body, raw } = decodeEnvelope(bytes);
  assert.equal(raw, false);
  assert.equal(header.subject, "Undelivered: S");
  assert.equal(header.size, body.length);
  const text = new TextDecoder().decode(body);
  assert.equal(text.split("\n").filter((l) => l.startsWith("Your message")).length, 20);
  assert.match(text, /… and to 1980 more recipients\./);
  assert.match(text, /refused=r\.test:1::user0\tNOSUCHUSER/);
});
