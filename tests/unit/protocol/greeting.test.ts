import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { asBuffer } from "../../../lib/protocol/node-bytes.ts";
import {
  GreetingMode,
  GreetingParser,
  ServerGreetingParser,
  SERVER_GREETING,
  SYNC_BYTE,
  ProtocolError,
  encodeClientGreeting,
  encodeGreetingError,
  encodeFrame,
  type StatusWord,
} from "../../../lib/protocol/index.ts";
import { everySplit, oneByteChunks } from "./helpers.ts";

/** Everything observable about a greeting run, independent of how the input was chunked. */
interface Outcome {
  mode: GreetingMode;
  /** Words from the "greeting" event (null if none). For the client parser: the line. */
  greeting: string[] | string | null;
  /** Whether a "done" event arrived. */
  done: boolean;
  /** Leftover of the done event plus every chunk after it, as hex. */
  leftover: string | null;
  error: { status: StatusWord; reason: string } | null;
}

type AnyParser = GreetingParser | ServerGreetingParser;

function run(make: () => AnyParser, chunks: Buffer[]): Outcome {
  const parser = make();
  const out: Outcome = { mode: parser.mode, greeting: null, done: false, leftover: null, error: null };
  const leftover: Buffer[] = [];
  for (const chunk of chunks) {
    if (parser.mode === GreetingMode.Done) {
      leftover.push(chunk); // after the sync byte the caller hands bytes to the frame parser
      continue;
    }
    if (parser.mode === GreetingMode.Error) break;
    const events = parser.feed(chunk);
    events.forEach((e, i) => {
      // An error event is always the last one of a batch.
      if (e.type === "error") assert.equal(i, events.length - 1);
    });
    for (const e of events) {
      if (e.type === "greeting") {
        assert.equal(out.greeting, null, "greeting event emitted twice");
        out.greeting = "words" in e.greeting ? e.greeting.words : e.greeting.line;
      } else if (e.type === "done") {
        assert.equal(out.done, false, "done event emitted twice");
        assert.notEqual(out.greeting, null, "done before greeting");
        out.done = true;
        leftover.push(asBuffer(e.leftover));
      } else {
        assert.ok(e.error instanceof ProtocolError);
        out.error = { status: e.error.status, reason: e.error.reason };
      }
    }
  }
  out.mode = parser.mode;
  out.leftover = out.done ? Buffer.concat(leftover).toString("hex") : null;
  return out;
}

interface Case {
  name: string;
  input: Buffer;
  expect: Partial<Outcome>;
}

const b = (s: string) => Buffer.from(s, "latin1");
const frame = asBuffer(encodeFrame(b("1 login\nalice")));

const serverCases: Case[] = [
  { name: "LF", input: b("OpenGroove\nc"), expect: { mode: GreetingMode.Done, greeting: [], leftover: "" } },
  { name: "CR", input: b("OpenGroove\rc"), expect: { mode: GreetingMode.Done, greeting: [], leftover: "" } },
  { name: "CRLF", input: b("OpenGroove\r\nc"), expect: { mode: GreetingMode.Done, greeting: [], leftover: "" } },
  { name: "lower case", input: b("opengroove\nc"), expect: { mode: GreetingMode.Done, greeting: [] } },
  {
    name: "upper case with realm",
    input: b("OPENGROOVE trivergia\r\nc"),
    expect: { mode: GreetingMode.Done, greeting: ["trivergia"] },
  },
  {
    name: "federation words",
    input: b("OpenGroove realm trivergia\r\nc"),
    expect: { mode: GreetingMode.Done, greeting: ["realm", "trivergia"] },
  },
  {
    name: "extra spaces tolerated",
    input: b("OpenGroove  a  b \nc"),
    expect: { mode: GreetingMode.Done, greeting: ["a", "b"] },
  },
  {
    name: "many CR/LF before c",
    input: b("OpenGroove\r\n\r\n\n\rc"),
    expect: { mode: GreetingMode.Done, greeting: [] },
  },
  {
    name: "UTF-8 word",
    input: Buffer.from("OpenGroove café\nc", "utf8"),
    expect: { mode: GreetingMode.Done, greeting: ["café"] },
  },
  {
    name: "packet bytes after c are leftover",
    input: Buffer.concat([b("OpenGroove trivergia\r\nc"), frame]),
    expect: { mode: GreetingMode.Done, greeting: ["trivergia"], leftover: frame.toString("hex") },
  },
  {
    name: "leftover may look like a greeting",
    input: b("OpenGroove\ncOpenGroove\n"),
    expect: { mode: GreetingMode.Done, leftover: b("OpenGroove\n").toString("hex") },
  },
  {
    name: "line without sync yet",
    input: b("OpenGroove x\r\n"),
    expect: { mode: GreetingMode.Sync, greeting: ["x"], done: false, error: null },
  },
  {
    name: "incomplete line",
    input: b("OpenGroo"),
    expect: { mode: GreetingMode.Greeting, greeting: null, error: null },
  },
  { name: "empty input", input: b(""), expect: { mode: GreetingMode.Greeting, greeting: null, error: null } },
  {
    name: "longest line accepted (255 + LF)",
    input: b(`OpenGroove ${"a".repeat(255 - 11)}\nc`),
    expect: { mode: GreetingMode.Done, greeting: ["a".repeat(244)] },
  },
  ...(
    [
      ["HTTP request", "GET / HTTP/1.1\r\nHost: example\r\n\r\n", "expected an OpenGroove greeting"],
      ["TLS ClientHello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "expected an OpenGroove greeting"],
      ["prefix then junk", "OpenGrooX\nc", "expected an OpenGroove greeting"],
      ["OpenGrooveServer is not a greeting", "OpenGrooveServer\r\nc", "expected an OpenGroove greeting"],
      ["tab instead of space", "OpenGroove\tx\nc", "expected an OpenGroove greeting"],
      ["empty line first", "\r\nOpenGroove\r\nc", "expected an OpenGroove greeting"],
      ["short line", "Open\nc", "expected an OpenGroove greeting"],
      ["too long (256 bytes before newline)", `OpenGroove ${"a".repeat(256 - 11)}\nc`, "greeting too long"],
      ["too long without newline", `OpenGroove ${"x".repeat(1000)}`, "greeting too long"],
      ["garbage before c", "OpenGroove\r\nxc", "expected sync byte 'c' after the greeting"],
      ["upper-case C is not the sync byte", "OpenGroove\nC", "expected sync byte 'c' after the greeting"],
      ["space before c", "OpenGroove\r\n c", "expected sync byte 'c' after the greeting"],
      ["control character", "OpenGroove a\x00b\nc", "control character in greeting"],
      ["invalid UTF-8", "OpenGroove caf\xe9\nc", "greeting is not valid UTF-8"],
    ] as const
  ).map(([name, input, reason]): Case => ({
    name,
    input: b(input),
    expect: { mode: GreetingMode.Error, done: false, error: { status: "BADGREETING", reason } },
  })),
];

const clientCases: Case[] = [
  {
    name: "server greeting + c",
    input: Buffer.concat([SERVER_GREETING, SYNC_BYTE]),
    expect: { mode: GreetingMode.Done, greeting: "OpenGrooveServer", leftover: "" },
  },
  { name: "LF only", input: b("OpenGrooveServer\nc"), expect: { mode: GreetingMode.Done } },
  {
    name: "packets after c",
    input: Buffer.concat([SERVER_GREETING, SYNC_BYTE, frame, frame]),
    expect: { mode: GreetingMode.Done, leftover: Buffer.concat([frame, frame]).toString("hex") },
  },
  {
    name: "waiting for c",
    input: asBuffer(SERVER_GREETING),
    expect: { mode: GreetingMode.Sync, greeting: "OpenGrooveServer", done: false },
  },
  ...(
    [
      ["refused: too long", "ERROR BADGREETING greeting too long\r\n", "BADGREETING", "greeting too long"],
      ["refused: timeout", "ERROR TIMEOUT\r\n", "TIMEOUT", "refused by server"],
      ["refused: realm", "ERROR NOSUCHREALM no realm named x\r\n", "NOSUCHREALM", "no realm named x"],
      ["refused with unknown word", "ERROR WHATEVER\r\n", "BADGREETING", "server refused: ERROR WHATEVER"],
      ["HTTP server", "HTTP/1.1 400 Bad Request\r\n\r\n", "BADGREETING", "unexpected server greeting"],
      ["garbage before c", "OpenGrooveServer\r\nx", "BADGREETING", "expected sync byte 'c' after the greeting"],
      ["endless line", "x".repeat(300), "BADGREETING", "greeting too long"],
    ] as const
  ).map(([name, input, status, reason]): Case => ({
    name,
    input: b(input),
    expect: { mode: GreetingMode.Error, done: false, error: { status, reason } },
  })),
];

function pick(outcome: Outcome, keys: Partial<Outcome>): Partial<Outcome> {
  const picked: Partial<Record<keyof Outcome, unknown>> = {};
  for (const k of Object.keys(keys) as (keyof Outcome)[]) picked[k] = outcome[k];
  return picked as Partial<Outcome>;
}

for (const [side, make, cases] of [
  ["server side (GreetingParser)", () => new GreetingParser(), serverCases],
  ["client side (ServerGreetingParser)", () => new ServerGreetingParser(), clientCases],
] as const) {
  describe(side, () => {
    for (const c of cases) {
      test(c.name, () => {
        const reference = run(make, [c.input]);
        assert.deepEqual(pick(reference, c.expect), c.expect);
        // Every single split point, and one byte at a time, must give the identical outcome.
        for (const split of everySplit(c.input)) {
          assert.deepEqual(run(make, split.chunks), reference, `${c.name}: ${split.name}`);
        }
      });
    }
  });
}

describe("early and bounded refusal", () => {
  test("an HTTP request is refused at its first byte, before any newline", () => {
    const p = new GreetingParser();
    const events = p.feed(b("G"));
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, "error");
    assert.equal(p.mode, GreetingMode.Error);
  });

  test("a wrong byte after a matching prefix is refused at that byte", () => {
    const p = new GreetingParser();
    assert.deepEqual(p.feed(b("opEnGrOoV")), []);
    assert.equal(p.feed(b("x"))[0]?.type, "error");
    const q = new GreetingParser();
    assert.deepEqual(q.feed(b("OpenGroove")), []);
    assert.equal(q.feed(b("S"))[0]?.type, "error", "OpenGrooveS... is refused at the S");
  });

  test("the length limit is checked while scanning: the 256th byte without newline fails", () => {
    const p = new GreetingParser();
    const line = b(`OpenGroove ${"a".repeat(300)}`);
    const chunks = oneByteChunks(line);
    for (let i = 0; i < 255; i++) assert.deepEqual(p.feed(chunks[i]!), [], `byte ${i}`);
    const events = p.feed(chunks[255]!);
    assert.equal(events[0]?.type, "error");
    assert.equal(p.error?.reason, "greeting too long");
  });

  test("a huge chunk without newline is refused in one feed", () => {
    const p = new GreetingParser();
    const events = p.feed(Buffer.concat([b("OpenGroove "), Buffer.alloc(10_000_000, 0x61)]));
    assert.equal(events.length, 1);
    assert.equal(p.error?.reason, "greeting too long");
  });

  test("maxLineBytes option", () => {
    const p = new GreetingParser({ maxLineBytes: 16 });
    assert.equal(p.feed(b("OpenGroove abcd\nc"))[1]?.type, "done"); // 15 + newline
    const q = new GreetingParser({ maxLineBytes: 16 });
    assert.equal(q.feed(b("OpenGroove abcde\nc"))[0]?.type, "error");
    assert.throws(() => new GreetingParser({ maxLineBytes: 1 }), RangeError);
  });
});

describe("parser lifecycle", () => {
  test("after an error, feed keeps returning the same error", () => {
    const p = new GreetingParser();
    const first = p.feed(b("nope"));
    const again = p.feed(b("OpenGroove\nc"));
    assert.equal(again.length, 1);
    assert.equal(again[0]?.type, "error");
    assert.equal(again[0]?.type === "error" && again[0].error, first[0]?.type === "error" && first[0].error);
  });

  test("feeding after Done is a programmer error", () => {
    const p = new GreetingParser();
    p.feed(b("OpenGroove\nc"));
    assert.equal(p.mode, GreetingMode.Done);
    assert.throws(() => p.feed(b("x")), /frame parser/);
  });

  test("greeting event arrives as soon as the line ends, before the sync byte", () => {
    const p = new GreetingParser();
    const events = p.feed(b("OpenGroove trivergia\r"));
    assert.deepEqual(events, [{ type: "greeting", greeting: { words: ["trivergia"] } }]);
    assert.deepEqual(p.greeting, { words: ["trivergia"] });
    assert.equal(p.mode, GreetingMode.Sync);
  });

  test("a greeting then garbage in one chunk yields the greeting event, then the error", () => {
    const events = new GreetingParser().feed(b("OpenGroove\r\nX"));
    assert.deepEqual(
      events.map((e) => e.type),
      ["greeting", "error"],
    );
  });
});

describe("encoders", () => {
  test("encodeClientGreeting", () => {
    assert.equal(asBuffer(encodeClientGreeting()).toString("latin1"), "OpenGroove\r\nc");
    assert.equal(
      asBuffer(encodeClientGreeting(["realm", "trivergia"])).toString("latin1"),
      "OpenGroove realm trivergia\r\nc",
    );
    for (const bad of ["", "a b", "a\nb", "a\tb", "\u0000"]) {
      assert.throws(() => encodeClientGreeting([bad]), TypeError, JSON.stringify(bad));
    }
    assert.throws(() => encodeClientGreeting(["x".repeat(250)]), RangeError);
    encodeClientGreeting(["x".repeat(256 - 13)]); // exactly 256 with CRLF
  });

  test("SERVER_GREETING and SYNC_BYTE", () => {
    assert.equal(asBuffer(SERVER_GREETING).toString("latin1"), "OpenGrooveServer\r\n");
    assert.equal(asBuffer(SYNC_BYTE).toString("latin1"), "c");
  });

  test("full handshake in both directions", () => {
    const server = new GreetingParser();
    const events = server.feed(asBuffer(encodeClientGreeting(["trivergia"])));
    assert.deepEqual(
      events.map((e) => e.type),
      ["greeting", "done"],
    );
    const client = new ServerGreetingParser();
    assert.deepEqual(
      client.feed(SERVER_GREETING).map((e) => e.type),
      ["greeting"],
    );
    assert.deepEqual(
      client.feed(SYNC_BYTE).map((e) => e.type),
      ["done"],
    );
  });

  test("encodeGreetingError round-trips through the client parser", () => {
    const cases: [ProtocolError, string][] = [
      [new ProtocolError("BADGREETING", "greeting too long"), "ERROR BADGREETING greeting too long\r\n"],
      [new ProtocolError("TIMEOUT", ""), "ERROR TIMEOUT\r\n"],
      [new ProtocolError("NOSUCHREALM", "no realm\r\nnamed x"), "ERROR NOSUCHREALM no realm  named x\r\n"],
    ];
    for (const [error, wire] of cases) {
      const bytes = asBuffer(encodeGreetingError(error));
      assert.equal(bytes.toString("utf8"), wire);
      const client = new ServerGreetingParser();
      const events = client.feed(bytes);
      assert.equal(events[0]?.type, "error");
      assert.equal(client.error?.status, error.status);
    }
    const long = asBuffer(encodeGreetingError(new ProtocolError("BADGREETING", "é".repeat(400))));
    assert.ok(long.length <= 256, `${long.length}`);
    const client = new ServerGreetingParser();
    client.feed(long);
    assert.equal(client.error?.status, "BADGREETING");
    assert.match(client.error?.reason ?? "", /^é+$/);
  });
});
