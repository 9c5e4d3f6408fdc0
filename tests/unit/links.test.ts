// opengroovemessage:// links: parse, format, round trip, and clear errors.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  formatMessageUrl,
  parseMessageTarget,
  parseMessageUrl,
  LINK_LIMITS,
} from "../../lib/links/opengroove-message-url.ts";
import { DomainError } from "../../lib/domain/errors.ts";

function rejects(input: string, re: RegExp, fn: (s: string) => unknown = parseMessageUrl): void {
  assert.throws(
    () => fn(input),
    (e: unknown) => {
      assert.ok(e instanceof DomainError, `DomainError for ${input}`);
      assert.equal(e.code, "BADARGUMENTS");
      assert.equal(e.field, "to");
      assert.match(e.message, re);
      return true;
    },
  );
}

describe("opengroovemessage:// links", () => {
  test("parses host, port, username and subject", () => {
    assert.deepEqual(parseMessageUrl("opengroovemessage://trivergia.com:63741/alice?subject=Lunch%20on%20Friday%3F"), {
      realmId: "trivergia.com:63741",
      host: "trivergia.com",
      port: 63741,
      username: "alice",
      userId: "trivergia.com:63741::alice",
      subject: "Lunch on Friday?",
    });
  });

  test("the design document's example parses (+ is a space in the subject)", () => {
    const l = parseMessageUrl("opengroovemessage://trivergia.com:64731/javawizard?subject=Hi+Alex");
    assert.deepEqual([l.userId, l.subject], ["trivergia.com:64731::javawizard", "Hi Alex"]);
  });

  test("scheme and host are case-insensitive; the username keeps its case", () => {
    const l = parseMessageUrl("OpenGrooveMessage://Example.COM:63745/Bob");
    assert.deepEqual([l.realmId, l.username], ["example.com:63745", "Bob"]);
  });

  test("IPv6 hosts, Unicode usernames, + as space, body, trailing slash and fragments", () => {
    const l = parseMessageUrl(
      "opengroovemessage://[2001:DB8::1]:63745/J%C3%BCrgen/?subject=hi+there&body=line1%0Aline2&x=ignored#frag",
    );
    assert.deepEqual(
      [l.realmId, l.username, l.subject, l.body],
      ["[2001:db8::1]:63745", "Jürgen", "hi there", "line1\nline2"],
    );
  });

  test("clear errors for malformed links", () => {
    rejects("mailto:alice@example.com", /not an opengroovemessage:\/\/ link/);
    rejects("opengroovemessage:alice", /needs "\/\/"/);
    rejects("opengroovemessage://example.com/alice", /no port/);
    rejects("opengroovemessage://example.com:/alice", /no port/);
    rejects("opengroovemessage://example.com:70000/alice", /not from 1 to 65535/);
    rejects("opengroovemessage://example.com:0/alice", /not from 1 to 65535/);
    rejects("opengroovemessage://example.com:12ab/alice", /not a number/);
    rejects("opengroovemessage://alice@example.com:63745", /username after the realm/);
    rejects("opengroovemessage://exa_mple.com:63745/alice", /not a valid host name/);
    rejects("opengroovemessage://-bad.com:63745/alice", /not a valid host name/);
    rejects("opengroovemessage://[zz::1]:63745/alice", /IPv6/);
    rejects("opengroovemessage://:63745/alice", /no realm host/);
    rejects("opengroovemessage://example.com:63745", /names no user/);
    rejects("opengroovemessage://example.com:63745/", /names no user/);
    rejects("opengroovemessage://example.com:63745/a/b", /more than one path segment/);
    rejects("opengroovemessage://example.com:63745/al%20ice", /not valid: .*no spaces/);
    rejects("opengroovemessage://example.com:63745/a%3A%3Ab", /cannot contain "::"/);
    rejects("opengroovemessage://example.com:63745/al%ZZ", /broken %-encoding/);
    rejects("opengroovemessage://example.com:63745/alice?subject=a%0Ab", /line breaks/);
    rejects("opengroovemessage://example.com:63745/alice?subject=a&subject=b", /subject twice/);
    rejects(
      `opengroovemessage://example.com:63745/alice?subject=${"x".repeat(LINK_LIMITS.subjectMax + 1)}`,
      /longer than 200/,
    );
    rejects(`opengroovemessage://example.com:63745/${"x".repeat(LINK_LIMITS.urlMax)}`, /longer than/);
  });

  test("formats links that parse back to the same thing", () => {
    const cases: [string, { subject?: string; body?: string }][] = [
      ["example.com:63745::alice", {}],
      ["example.com:63745::Jürgen", { subject: "Grüße & more: 100% + ?" }],
      ["[2001:db8::1]:1::a_b.c-d", { subject: "s", body: "two\nlines & a = sign" }],
    ];
    for (const [userId, opts] of cases) {
      const url = formatMessageUrl({ userId }, opts);
      const back = parseMessageUrl(url);
      assert.equal(back.userId, userId);
      assert.equal(back.subject, opts.subject);
      assert.equal(back.body, opts.body);
    }
    assert.equal(
      formatMessageUrl({ realmId: "example.com:63745", username: "alice" }, { subject: "a b" }),
      "opengroovemessage://example.com:63745/alice?subject=a%20b",
    );
  });

  test("formatting refuses what parsing would refuse", () => {
    rejects("example.com::alice", /not a realm id/, (s) => formatMessageUrl({ userId: s }));
    rejects("example.com:63745::a b", /not valid/, (s) => formatMessageUrl({ userId: s }));
    assert.throws(() => formatMessageUrl({ userId: "example.com:63745::alice" }, { subject: "a\nb" }), /line breaks/);
  });

  test("parseMessageTarget takes user ids and links", () => {
    assert.equal(parseMessageTarget(" Example.com:63745::alice ").userId, "example.com:63745::alice");
    assert.equal(parseMessageTarget("opengroovemessage://example.com:63745/alice?subject=x").subject, "x");
    rejects("alice", /not a user id/, parseMessageTarget);
    rejects("", /Give a user id/, parseMessageTarget);
    rejects("example.com:99999::alice", /not a realm id/, parseMessageTarget);
    rejects("https://example.com/alice", /not an opengroovemessage/, parseMessageTarget);
  });
});
