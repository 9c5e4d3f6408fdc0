import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { asBuffer } from "../../../lib/protocol/node-bytes.ts";
import {
  decodeRequest,
  decodeReply,
  decodeServerPacket,
  decodeErrorNotification,
  encodeRequest,
  encodeReply,
  encodeErrorReply,
  encodeNotification,
  encodeErrorNotification,
  isValidPacketId,
  isValidCommandName,
  splitFields,
  splitExactFields,
  splitWithTrailingData,
  joinFieldsWithTrailingData,
  ProtocolError,
  PROTOCOL_LIMITS,
  STATUS_WORDS,
  STATUS_WORD_LIST,
  isStatusWord,
  statusClosesConnection,
  type Result,
} from "../../../lib/protocol/index.ts";

const b = (s: string) => Buffer.from(s, "latin1");

function value<T>(r: Result<T>): T {
  if (!r.ok) assert.fail(`expected ok, got ${r.error.status}: ${r.error.reason}`);
  return r.value;
}

function failure<T>(r: Result<T>): ProtocolError {
  if (r.ok) assert.fail(`expected an error, got ${JSON.stringify(r.value)}`);
  assert.ok(r.error instanceof ProtocolError);
  return r.error;
}

describe("status registry", () => {
  test("every word of docs/protocol.md section 4, in order", () => {
    assert.deepEqual(STATUS_WORD_LIST, [
      "OK",
      "FAIL",
      "BADAUTH",
      "BADCOMPUTER",
      "QUOTAEXCEEDED",
      "NOSUCHUSER",
      "NOSUCHCOMPUTER",
      "NOSUCHMESSAGE",
      "NOSUCHSUBSCRIPTION",
      "NOSUCHREALM",
      "NOSUCHWORKSPACE",
      "NOSUCHEXPORT",
      "NOSUCHCHANNEL",
      "ALREADYEXISTS",
      "UNAUTHORIZED",
      "INVALIDMESSAGEID",
      "INDEXOUTOFBOUNDS",
      "NORESULTS",
      "BADUSERNAME",
      "BADPASSWORD",
      "BADINVITE",
      "REALMFULL",
      "REGISTRATIONCLOSED",
      "CONTINUE",
      "BADARGUMENTS",
      "UNKNOWNCOMMAND",
      "NOTALLOWED",
      "RATELIMITED",
      "TOOLARGE",
      "BADPACKET",
      "BADGREETING",
      "TIMEOUT",
      "BUSY",
      "INTERNALERROR",
    ]);
    for (const w of STATUS_WORD_LIST) assert.ok(STATUS_WORDS[w].meaning.length > 0);
  });

  test("exactly TOOLARGE, BADPACKET, BADGREETING and TIMEOUT close the connection", () => {
    const closing = STATUS_WORD_LIST.filter((w) => statusClosesConnection(w));
    assert.deepEqual(closing, ["TOOLARGE", "BADPACKET", "BADGREETING", "TIMEOUT"]);
    assert.equal(new ProtocolError("TOOLARGE", "x").closesConnection, true);
    assert.equal(new ProtocolError("FAIL", "x").closesConnection, false);
  });

  test("isStatusWord is exact", () => {
    assert.ok(isStatusWord("OK"));
    for (const s of ["ok", "Ok", "", "toString", "__proto__", "constructor", "OK "]) assert.ok(!isStatusWord(s), s);
  });
});

describe("requests", () => {
  test("round trips", () => {
    const cases: [string, string, Buffer | string[] | undefined, Buffer][] = [
      ["1", "ping", undefined, Buffer.alloc(0)],
      ["a.B_c-9", "login", ["alice", "pässwörd"], Buffer.from("alice\npässwörd", "utf8")],
      ["x".repeat(32), "c".repeat(32), b("raw"), b("raw")],
      ["7", "put", Buffer.from([0, 13, 10, 13, 0, 255]), Buffer.from([0, 13, 10, 13, 0, 255])],
      ["8", "empty", [], Buffer.alloc(0)],
    ];
    for (const [id, command, args, wireArgs] of cases) {
      const decoded = value(decodeRequest(asBuffer(encodeRequest(id, command, args))));
      assert.deepEqual(decoded, { id, command, args: wireArgs, newlineForm: false });
    }
  });

  test("the original's bytes: a space after the command, even without arguments", () => {
    assert.equal(asBuffer(encodeRequest("p7", "ping")).toString(), "p7 ping ");
    assert.equal(
      asBuffer(encodeRequest("p1", "authenticate", ["normal", "alice", "laptop", "pw"])).toString(),
      "p1 authenticate normal\nalice\nlaptop\npw",
    );
    const req = value(decodeRequest(b("p9 writemessagedata a:b-1 0 3 xyz")));
    assert.deepEqual(req, { id: "p9", command: "writemessagedata", args: b("a:b-1 0 3 xyz"), newlineForm: false });
    assert.equal(value(decodeRequest(b("_auth authenticate normal\na\nb\nc"))).id, "_auth");
  });

  test("encoding folds the command to lower case; decoding folds too", () => {
    assert.equal(asBuffer(encodeRequest("1", "LogIn")).toString(), "1 login ");
    assert.equal(value(decodeRequest(b("1 LOGIN"))).command, "login");
  });

  test("the older layout: the command ends at CR, LF or CRLF (CRLF is one newline), or at the end", () => {
    const cases: [string, string][] = [
      ["1 cmd", ""],
      ["1 cmd ", ""],
      ["1 cmd extra", "extra"],
      ["1 cmd a b\nc", "a b\nc"],
      ["1 cmd  two", " two"],
      ["1 cmd\nargs", "args"],
      ["1 cmd\rargs", "args"],
      ["1 cmd\r\nargs", "args"],
      ["1 cmd\n\nargs", "\nargs"],
      ["1 cmd\r\rargs", "\rargs"],
      ["1 cmd\n\r\nargs", "\r\nargs"],
      ["1 cmd\r\n", ""],
      ["1 cmd\r", ""],
      ["1 cmd\n", ""],
    ];
    for (const [wire, args] of cases) {
      const r = value(decodeRequest(b(wire)));
      assert.equal(r.command, "cmd", JSON.stringify(wire));
      assert.equal(r.args.toString("latin1"), args, JSON.stringify(wire));
      assert.equal(r.newlineForm, /^1 cmd[\r\n]/.test(wire), JSON.stringify(wire));
    }
  });

  test("bad headers are BADPACKET with a reason", () => {
    const cases: [string, string][] = [
      ["", "empty packet"],
      ["\nx", "missing packet id"],
      [" cmd", "missing packet id"],
      ["1", "missing command"],
      ["1\ncmd", "missing command"],
      ["1 ", "missing command"],
      ["1  cmd", "missing command"],
      ["1 c-d", "invalid character in command"],
      ["1 cmd\t", "invalid character in command"],
      ["1 cmdé", "invalid character in command"],
      [`1 ${"c".repeat(33)}`, "command longer than 32 bytes"],
      [`${"i".repeat(33)} cmd`, "packet id longer than 32 bytes"],
      ["* cmd", "invalid character in packet id"],
      ["a/b cmd", "invalid character in packet id"],
      ["a\u0000 cmd", "invalid character in packet id"],
    ];
    for (const [wire, reason] of cases) {
      const e = failure(decodeRequest(b(wire)));
      assert.equal(e.status, "BADPACKET", JSON.stringify(wire));
      assert.equal(e.reason, reason, JSON.stringify(wire));
    }
  });

  test("binary trailing data with CR, LF and NUL survives", () => {
    const data = Buffer.from([13, 10, 0, 13, 13, 10, 10, 0, 0xff, 0xfe]);
    const args = asBuffer(joinFieldsWithTrailingData(["bob", String(data.length)], data));
    const req = value(decodeRequest(asBuffer(encodeRequest("42", "putfile", args))));
    const parsed = value(splitWithTrailingData(req.args, 2, 1));
    assert.deepEqual(parsed.fields, ["bob", "10"]);
    assert.deepEqual(parsed.data, data);
  });

  test("encoding refuses invalid ids, commands and fields (programmer errors)", () => {
    assert.throws(() => encodeRequest("", "x"), TypeError);
    assert.throws(() => encodeRequest("*", "x"), TypeError);
    assert.throws(() => encodeRequest("a b", "x"), TypeError);
    assert.throws(() => encodeRequest("i".repeat(33), "x"), TypeError);
    assert.throws(() => encodeRequest("1", ""), TypeError);
    assert.throws(() => encodeRequest("1", "a_b"), TypeError);
    assert.throws(() => encodeRequest("1", "c".repeat(33)), TypeError);
    assert.throws(() => encodeRequest("1", "x", ["a\nb"]), TypeError);
    assert.throws(() => encodeRequest("1", "x", ["a\rb"]), TypeError);
    // Ids of the form p<digits>uid<digits> are the pushes' (the original server's generateId()).
    assert.throws(() => encodeRequest("p123uid4", "x"), TypeError);
  });

  test("isValidPacketId / isValidCommandName", () => {
    assert.ok(isValidPacketId("Az09_.-"));
    assert.ok(!isValidPacketId("é"));
    assert.ok(!isValidPacketId("i".repeat(PROTOCOL_LIMITS.maxPacketIdBytes + 1)));
    assert.ok(isValidCommandName("Login2"));
    assert.ok(!isValidCommandName("log-in"));
  });
});

describe("replies and notifications", () => {
  test("reply round trips", () => {
    const cases: [string | Buffer | string[] | undefined, string][] = [
      [undefined, ""],
      ["hello", "hello"],
      [["a", "b", ""], "a\nb\n"],
      [Buffer.from([0, 10, 13]), "\u0000\n\r"],
    ];
    for (const [data, wireData] of cases) {
      const r = value(decodeReply(asBuffer(encodeReply("id1", "Login", "OK", data))));
      assert.deepEqual(r, { id: "id1", command: "login", status: "OK", data: b(wireData) });
    }
    assert.equal(
      asBuffer(encodeReply("9", "get", "NOSUCHUSER", "no user bob")).toString(),
      "9 get NOSUCHUSER no user bob",
    );
  });

  test("error replies are one line", () => {
    const wire = asBuffer(encodeErrorReply("3", "login", new ProtocolError("BADAUTH", "wrong\r\npassword")));
    assert.equal(wire.toString(), "3 login BADAUTH wrong password");
  });

  test("bad replies", () => {
    const cases: [string, string][] = [
      ["1 cmd", "missing status word"],
      ["1 cmd ", "missing status word"],
      ["1 cmd ok", "unknown status word"],
      ["1 cmd OKextra", "unknown status word"],
      ["1 cmd NOPE", "unknown status word"],
      ["1", "missing command"],
      ["* event", "invalid character in packet id"],
    ];
    for (const [wire, reason] of cases) assert.equal(failure(decodeReply(b(wire))).reason, reason, wire);
    // Data after the space, and (older layout) after a newline; a reply without data.
    assert.equal(value(decodeReply(b("1 cmd OK a b\nc"))).data.toString(), "a b\nc");
    assert.equal(value(decodeReply(b("1 cmd OK\r\na b"))).data.toString(), "a b");
    assert.equal(value(decodeReply(b("1 cmd OK"))).data.length, 0);
    assert.equal(value(decodeReply(b("1 cmd OK "))).data.length, 0);
    // The space after the status word is sent even with empty data: the original client split
    // the first 128 bytes into four space-separated tokens and dropped shorter replies.
    assert.equal(asBuffer(encodeReply("p3", "nop", "OK")).toString(), "p3 nop OK ");
    assert.throws(() => encodeReply("1", "x", "NOPE" as "OK"), TypeError);
  });

  test("decodeServerPacket tells replies from notifications", () => {
    assert.deepEqual(value(decodeServerPacket(asBuffer(encodeReply("5", "ping", "OK")))), {
      kind: "reply",
      id: "5",
      command: "ping",
      status: "OK",
      data: Buffer.alloc(0),
    });
    const push = asBuffer(encodeNotification("messageavailable", ["m1"]));
    // The original server's push: generateId() ("p" + milliseconds + "uid" + counter), the
    // event as the command, status OK, then the data.
    assert.match(push.toString(), /^p\d{13}uid\d+ messageavailable OK m1$/);
    assert.deepEqual(value(decodeServerPacket(push)), {
      kind: "notification",
      event: "messageavailable",
      status: "OK",
      data: b("m1"),
    });
    assert.deepEqual(value(decodeServerPacket(b("p1uid2 receiveimessage OK i1 a::b c hi"))), {
      kind: "notification",
      event: "receiveimessage",
      status: "OK",
      data: b("i1 a::b c hi"),
    });
    // Older servers: "* event NL data".
    assert.deepEqual(value(decodeServerPacket(b("* FutureEvent\r\nx"))), {
      kind: "notification",
      event: "futureevent",
      status: "OK",
      data: b("x"),
    });
    assert.equal(failure(decodeServerPacket(b("*"))).reason, "missing event");
    assert.equal(failure(decodeServerPacket(b("* "))).reason, "missing event");
    assert.equal(failure(decodeServerPacket(b("* a b"))).reason, "unknown status word");
    assert.equal(failure(decodeServerPacket(b("p1uid1 a-b OK"))).reason, "invalid character in event");
    // A reply id that merely starts like a push id is a reply.
    assert.equal(value(decodeServerPacket(b("p12 ping OK "))).kind, "reply");
    assert.equal(failure(decodeServerPacket(b("*x ping OK"))).reason, "invalid character in packet id");
    assert.equal(failure(decodeServerPacket(Buffer.alloc(0))).reason, "empty packet");
  });

  test("the error push carries a status word and a reason", () => {
    const wire = asBuffer(
      encodeErrorNotification(new ProtocolError("TOOLARGE", "packet of 2000000 bytes\nexceeds the limit")),
    );
    assert.match(wire.toString(), /^p\d+uid\d+ error TOOLARGE packet of 2000000 bytes exceeds the limit$/);
    const pkt = value(decodeServerPacket(wire));
    assert.ok(pkt.kind === "notification" && pkt.status === "TOOLARGE");
    assert.deepEqual(value(decodeErrorNotification(pkt.data, pkt.status)), {
      status: "TOOLARGE",
      reason: "packet of 2000000 bytes exceeds the limit",
    });
    // An older server's "* error" LF STATUS LF reason.
    const old = value(decodeServerPacket(b("* error\nTOOLARGE\npacket of 2000000 bytes exceeds the limit")));
    assert.ok(old.kind === "notification" && old.status === "OK");
    assert.deepEqual(value(decodeErrorNotification(old.data)), {
      status: "TOOLARGE",
      reason: "packet of 2000000 bytes exceeds the limit",
    });
    assert.equal(failure(decodeErrorNotification(b("nope\nx"))).status, "BADPACKET");
    assert.deepEqual(value(decodeErrorNotification(b("BADPACKET"))), { status: "BADPACKET", reason: "" });
  });
});

describe("argument helpers", () => {
  test("splitFields on CR, LF and CRLF", () => {
    const cases: [string, string[]][] = [
      ["", [""]],
      ["a", ["a"]],
      ["a\nb", ["a", "b"]],
      ["a\rb", ["a", "b"]],
      ["a\r\nb", ["a", "b"]],
      ["a\n\rb", ["a", "", "b"]],
      ["a\r\rb", ["a", "", "b"]],
      ["a\n", ["a", ""]],
      ["\r\n", ["", ""]],
    ];
    for (const [text, fields] of cases) {
      assert.deepEqual(value(splitFields(text)), fields, JSON.stringify(text));
      assert.deepEqual(value(splitFields(Buffer.from(text, "utf8"))), fields, JSON.stringify(text));
    }
  });

  test("splitFields with max keeps the rest verbatim in the last field", () => {
    assert.deepEqual(value(splitFields("to\nsubject\nbody line 1\r\nline 2", 3)), [
      "to",
      "subject",
      "body line 1\r\nline 2",
    ]);
    assert.deepEqual(value(splitFields("a\r\nb", 1)), ["a\r\nb"]);
    assert.deepEqual(value(splitFields("a", 5)), ["a"]);
    assert.throws(() => splitFields("a", 0), RangeError);
  });

  test("splitFields keeps a BOM and non-ASCII text", () => {
    assert.deepEqual(value(splitFields(Buffer.from("\ufeffé\n日本", "utf8"))), ["\ufeffé", "日本"]);
  });

  test("invalid UTF-8 in text fields is BADARGUMENTS", () => {
    for (const bytes of [[0xff], [0x61, 0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
      const e = failure(splitFields(Buffer.from(bytes)));
      assert.equal(e.status, "BADARGUMENTS");
      assert.equal(e.reason, "arguments are not valid UTF-8");
    }
    assert.equal(
      failure(splitWithTrailingData(Buffer.concat([Buffer.from([0xff]), b("\n0\n")]), 2, 1)).status,
      "BADARGUMENTS",
    );
  });

  test("splitExactFields", () => {
    assert.deepEqual(value(splitExactFields(b("a\nb"), 2)), ["a", "b"]);
    assert.equal(failure(splitExactFields(b("a\nb\nc"), 2)).reason, "expected 2 fields, got 3");
    assert.equal(failure(splitExactFields(b("a\nb"), 1)).reason, "expected 1 field, got 2");
  });

  test("splitWithTrailingData: the data is the last `length` bytes, whatever the separator", () => {
    const cases: [string, number, number, string[], string][] = [
      ["bob\n5\nhello", 2, 1, ["bob", "5"], "hello"],
      ["bob\r\n5\r\nhello", 2, 1, ["bob", "5"], "hello"],
      ["bob\r5\rhello", 2, 1, ["bob", "5"], "hello"],
      ["5\nbobhello", 2, 0, ["5", "bob"], "hello"], // no separator: still the last 5 bytes
      ["5\nbob\nhello", 2, 0, ["5", "bob"], "hello"],
      ["bob\n3\n\n\n\n", 2, 1, ["bob", "3"], "\n\n\n"],
      ["bob\n2\r\r\n", 2, 1, ["bob", "2"], "\r\n"], // CR separator, data begins with CR
      ["bob\n1\r\n\n", 2, 1, ["bob", "1"], "\n"], // CRLF separator, data is LF
      ["bob\n0\n", 2, 1, ["bob", "0"], ""],
      ["bob\n0", 2, 1, ["bob", "0"], ""],
      ["bob\n0\n\n", 3, 1, ["bob", "0", ""], ""],
      ["007\nabcdefg", 1, 0, ["007"], "abcdefg"],
      ["a\n1\nb\nX", 3, 1, ["a", "1", "b"], "X"],
    ];
    for (const [wire, count, idx, fields, data] of cases) {
      const r = value(splitWithTrailingData(b(wire), count, idx));
      assert.deepEqual(r.fields, fields, JSON.stringify(wire));
      assert.equal(r.data.toString("latin1"), data, JSON.stringify(wire));
    }
  });

  test("splitWithTrailingData errors", () => {
    const cases: [string, number, number, string][] = [
      ["bob\n5\nhi", 2, 1, "data length 5 exceeds the available bytes"],
      ["bob\n9999999999\nhi", 2, 1, "data length 9999999999 exceeds the available bytes"],
      ["bob\n-1\nhi", 2, 1, "data length is not a non-negative integer"],
      ["bob\n+1\nh", 2, 1, "data length is not a non-negative integer"],
      ["bob\n1.5\nhi", 2, 1, "data length is not a non-negative integer"],
      ["bob\n 1\nh", 2, 1, "data length is not a non-negative integer"],
      ["bob\n\nh", 2, 1, "data length is not a non-negative integer"],
      ["bob\n1e3\nh", 2, 1, "data length is not a non-negative integer"],
      [`bob\n${"9".repeat(20)}\nh`, 2, 1, "data length is not a non-negative integer"],
      ["bob", 2, 1, "expected 2 fields before the data, got 1"],
      ["bob\nx\n1\nh", 2, 1, "data length is not a non-negative integer"],
      // Without a separator the length field runs into the data and cannot be read.
      ["bob\n5hello", 2, 1, "data length is not a non-negative integer"],
      ["a\n1\nb\nc\nX", 3, 1, "expected 3 fields before the data, got 4"],
      ["1\nX", 2, 0, "expected 2 fields before the data, got 1"],
      ["", 1, 0, "data length is not a non-negative integer"],
    ];
    for (const [wire, count, idx, reason] of cases) {
      const e = failure(splitWithTrailingData(b(wire), count, idx));
      assert.equal(e.status, "BADARGUMENTS", JSON.stringify(wire));
      assert.equal(e.reason, reason, JSON.stringify(wire));
    }
    assert.throws(() => splitWithTrailingData(b("x"), 2, 2), RangeError);
    assert.throws(() => splitWithTrailingData(b("x"), 0, 0), RangeError);
  });

  test("the length cannot reach back into the length field", () => {
    // "12" claims 12 bytes but only 9 follow the length field: refused, even though the
    // whole args are 12 bytes long.
    const e = failure(splitWithTrailingData(b("a\n12\nabcdef"), 2, 1));
    assert.equal(e.reason, "data length 12 exceeds the available bytes");
  });
});
