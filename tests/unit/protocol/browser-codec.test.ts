// One codec for Node and the browser: lib/protocol runs on plain Uint8Array, without Buffer,
// and the browser mailbox is bundled with it rather than with a codec of its own.
//
// The codec is bundled for the browser with esbuild and run in a fresh V8 context that has
// TextEncoder/TextDecoder but no Buffer (nor require, nor process), so any Buffer use left in
// the codec fails here. The mailbox's bundle is checked for its inputs: lib/protocol's packet
// codec is in it, exactly once, and no other file defines one. (Values made in the other
// context have that context's prototypes, hence the spreads before deepEqual.)
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import vm from "node:vm";
import path from "node:path";
import { build, type Metafile } from "esbuild";

const root = path.resolve(import.meta.dirname, "../../..");

async function bundle(entry: string, format: "iife" | "esm", globalName?: string) {
  const r = await build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    write: false,
    platform: "browser",
    format,
    globalName,
    metafile: true,
    logLevel: "silent",
  });
  return { code: r.outputFiles[0]!.text, metafile: r.metafile as Metafile };
}

type Codec = typeof import("../../../lib/protocol/index.ts");

describe("the codec without Buffer", () => {
  let codec: Codec;
  let ctx: vm.Context;

  before(async () => {
    const { code } = await bundle("lib/protocol/index.ts", "iife", "codec");
    // Only what a browser has and the codec needs; no Buffer, require or process.
    ctx = vm.createContext({ TextEncoder, TextDecoder });
    vm.runInContext(code, ctx);
    codec = ctx.codec as Codec;
    assert.equal(vm.runInContext("typeof Buffer", ctx), "undefined");
  });

  /** Bytes made in the context (a plain Uint8Array of that realm, as a browser would have). */
  const bytes = (text: string): Uint8Array => vm.runInContext(`new TextEncoder().encode(${JSON.stringify(text)})`, ctx);
  const text = (b: Uint8Array) => new TextDecoder().decode(b);

  test("requests and replies round-trip on plain Uint8Array", () => {
    const wire = codec.encodeRequest("w1", "Authenticate", ["alice", "web", "pässword"]);
    assert.equal(Buffer.isBuffer(wire), false);
    assert.equal(text(wire), "w1 authenticate alice\nweb\npässword");
    const req = codec.decodeRequest(wire);
    assert.ok(req.ok);
    assert.deepEqual(
      [req.value.id, req.value.command, text(req.value.args)],
      ["w1", "authenticate", "alice\nweb\npässword"],
    );
    const fields = codec.splitExactFields(req.value.args, 3);
    assert.ok(fields.ok);
    assert.deepEqual([...fields.value], ["alice", "web", "pässword"]);

    const reply = codec.decodeServerPacket(codec.encodeReply("w2", "getmessageinfo", "OK", ["sender=a", "size=3"]));
    assert.ok(reply.ok && reply.value.kind === "reply");
    assert.equal(reply.value.status, "OK");
    assert.deepEqual(Object.fromEntries(codec.keyValuesOf(reply.value.data)), { sender: "a", size: "3" });
    const n = codec.decodeServerPacket(codec.encodeNotification("messageavailable", "x::y-1"));
    assert.ok(n.ok && n.value.kind === "notification" && text(n.value.data) === "x::y-1");
  });

  test("bad input gives a status word, not an exception", () => {
    assert.deepEqual(codec.decodeServerPacket(bytes("")).ok, false);
    const bad = codec.decodeServerPacket(bytes("bad packet header with spaces\n"));
    assert.ok(!bad.ok && bad.error.status === "BADPACKET");
    const badUtf8 = codec.splitFields(new Uint8Array([0x61, 0xff]));
    assert.ok(!badUtf8.ok && badUtf8.error.status === "BADARGUMENTS");
  });

  test("binary trailing data, frames and greetings", () => {
    const data = new Uint8Array([0, 10, 13, 255, 7]);
    const args = codec.joinFieldsWithTrailingData(["id-1", "0", "5"], data);
    const split = codec.splitWithTrailingData(args, 3, 2);
    assert.ok(split.ok);
    assert.deepEqual([...split.value.fields], ["id-1", "0", "5"]);
    assert.deepEqual([...split.value.data], [...data]);

    const frame = codec.encodeFrame(codec.encodeRequest("1", "ping"));
    assert.deepEqual([...frame.subarray(0, 4)], [0, 0, 0, 7]);
    const parser = new codec.FrameParser();
    // One byte at a time: the body is collected from slices and concatenated (no Buffer.concat).
    const frames = [...frame].flatMap((b) => parser.push(new Uint8Array([b])).frames);
    assert.deepEqual(frames.map(text), ["1 ping "]);
    assert.equal(parser.push(new Uint8Array([0, 0, 0, 0])).error?.status, "BADPACKET");

    const server = new codec.GreetingParser();
    const events = server.feed(codec.encodeClientGreeting(["realm", "trivergia"]));
    assert.deepEqual([...events.map((e) => e.type)], ["greeting", "done"]);
    const client = new codec.ServerGreetingParser();
    const refused = client.feed(codec.encodeGreetingError(new codec.ProtocolError("NOSUCHREALM", "no realm x")));
    assert.ok(refused[0]?.type === "error" && refused[0].error.status === "NOSUCHREALM");
  });
});

describe("the browser mailbox bundle", () => {
  test("carries lib/protocol's codec, once, and no second codec", async () => {
    const { code, metafile } = await bundle("lib/account/mailbox-client.ts", "esm");
    const inputs = Object.keys(metafile.inputs);
    assert.ok(inputs.includes("lib/protocol/packet.ts"), inputs.join(", "));
    assert.ok(!inputs.includes("lib/account/wire.ts"), "lib/account/wire.ts is back");
    // A packet codec is whatever defines these; only lib/protocol/packet.ts may.
    for (const fn of ["decodeServerPacket", "encodeRequest"]) {
      const definitions = code.match(new RegExp(`function ${fn}\\d*\\(`, "g")) ?? [];
      assert.equal(definitions.length, 1, `${fn} is defined ${definitions.length} times in the bundle`);
    }
    assert.doesNotMatch(code, /\bBuffer\b/, "the browser bundle mentions Buffer");
  });
});
