// The shared server-side stream handling and client connection over real loopback TCP:
// CR / LF / CRLF greetings (including a CRLF split across TCP reads), pipelined requests, and
// refusals with an ERROR line.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { asBuffer } from "../../../lib/protocol/node-bytes.ts";
import { acceptStream, type PacketSink } from "../../../lib/protocol/server-stream.ts";
import { openStreamConnection, ConnectionFailure } from "../../../lib/protocol/client-connection.ts";
import {
  decodeRequest,
  encodeReply,
  encodeFrame,
  encodeRequest,
  FrameParser,
  decodeServerPacket,
  ProtocolError,
} from "../../../lib/protocol/index.ts";

async function echoServer(refuseWord?: string): Promise<{ port: number; close(): void }> {
  const server = net.createServer((socket) =>
    acceptStream(socket, {
      maxPacketBytes: 4096,
      greetingTimeoutMs: 2000,
      maxWriteBufferBytes: 1 << 20,
      onGreeting: (words) =>
        refuseWord && words[0] === refuseWord ? new ProtocolError("NOSUCHREALM", `no realm "${words[0]}"`) : null,
      onReady(transport, words): PacketSink {
        return {
          onPacket(p) {
            const r = decodeRequest(p);
            if (r.ok)
              transport.send(
                asBuffer(encodeReply(r.value.id, r.value.command, "OK", [words.join(" "), r.value.args.toString()])),
              );
          },
          fail: () => transport.close(),
          close: () => undefined,
        };
      },
    }),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

for (const [name, parts] of [
  ["LF", ["OpenGroove one\nc"]],
  ["CR", ["OpenGroove one\rc"]],
  ["CRLF", ["OpenGroove one\r\nc"]],
  ["CRLF split across reads", ["OpenGroove one\r", "\nc"]],
  ["byte by byte", [..."opengroove one\r\nc"]],
] as const) {
  test(`greeting with ${name} over a real socket`, async () => {
    const srv = await echoServer();
    const s = net.connect(srv.port, "127.0.0.1");
    s.setNoDelay(true);
    await new Promise((r) => s.once("connect", r));
    for (const p of parts) {
      s.write(p);
      await new Promise((r) => setTimeout(r, 15)); // separate TCP reads on the server
    }
    s.write(asBuffer(encodeFrame(encodeRequest("a", "echo", ["x"]))));
    const chunks: Buffer[] = [];
    s.on("data", (d) => chunks.push(d));
    await new Promise((r) => setTimeout(r, 150));
    const all = Buffer.concat(chunks);
    assert.equal(all.subarray(0, 19).toString(), "OpenGrooveServer\r\nc");
    const frames = new FrameParser().push(all.subarray(19)).frames;
    const reply = decodeServerPacket(frames[0]);
    assert.ok(reply.ok && reply.value.kind === "reply" && reply.value.data.toString() === "one\nx");
    s.destroy();
    srv.close();
  });
}

test("client connection: pipelined requests answered in order; a refused greeting is a ConnectionFailure", async () => {
  const srv = await echoServer("nope");
  const c = await openStreamConnection({
    host: "127.0.0.1",
    port: srv.port,
    tls: false,
    words: ["w"],
    timeoutMs: 2000,
    maxPacketBytes: 4096,
  });
  const replies = await Promise.all(["1", "2", "3"].map((x) => c.request("echo", [x])));
  assert.deepEqual(
    replies.map((r) => r.data.toString()),
    ["w\n1", "w\n2", "w\n3"],
  );
  c.close();
  await assert.rejects(
    openStreamConnection({
      host: "127.0.0.1",
      port: srv.port,
      tls: false,
      words: ["nope"],
      timeoutMs: 2000,
      maxPacketBytes: 4096,
    }),
    (e: ConnectionFailure) => e.status === "NOSUCHREALM" && e.phase === "greeting",
  );
  srv.close();
});
