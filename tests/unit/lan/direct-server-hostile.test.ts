// The direct-link listener (63748/TCP, client/sdk/lan/direct-server.ts) against hostile peers,
// over real loopback sockets: the admission limits every other listener has (connections per
// address, an absolute handshake deadline, an idle deadline once linked, a cap on queued
// requests), and random garbage in the greeting and handshake (fast-check, seeded) always ends in
// a status word or a clean close while a genuine peer is still served.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import fc from "fast-check";
import { generateComputerKeys, type ComputerKeys } from "../../../client/sdk/crypto/keys-core.ts";
import { DirectLink } from "../../../client/sdk/lan/direct-link.ts";
import { DirectServer, type DirectServerOptions } from "../../../client/sdk/lan/direct-server.ts";
import { PeerKeyCache } from "../../../client/sdk/lan/peer-keys.ts";
import { FrameParser, encodeFrame, encodeRequest, decodeReply, isStatusWord } from "../../../lib/protocol/index.ts";
import { oneByteChunks } from "../protocol/helpers.ts";

const ALICE = { userId: "lan.test:63745::alice", computer: "laptop" };
const BOB = { userId: "lan.test:63745::bob", computer: "laptop" };
const keys: Record<string, ComputerKeys> = { alice: generateComputerKeys(), bob: generateComputerKeys() };
// What the realm publishes (the realm is outside this listener: its directory is a lookup here).
const directory = new PeerKeyCache(async (userId) => {
  const k = userId.endsWith("::alice") ? keys.alice : userId.endsWith("::bob") ? keys.bob : undefined;
  return k && { x25519: k.x25519.publicKey, ed25519: k.ed25519.publicKey };
});

const servers: DirectServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

async function bobServer(opts: Partial<DirectServerOptions> = {}): Promise<DirectServer> {
  const s = new DirectServer({
    me: BOB,
    keys: keys.bob,
    peerKeys: directory,
    host: "127.0.0.1",
    port: 0,
    onRequest: async () => ({ status: "OK", data: "pong" }),
    ...opts,
  });
  await s.start();
  servers.push(s);
  return s;
}

const dial = (s: DirectServer) =>
  DirectLink.connect({
    host: "127.0.0.1",
    port: s.port,
    me: ALICE,
    keys: keys.alice,
    expect: BOB,
    peerKeys: directory,
  });

interface RawPeer {
  socket: net.Socket;
  received(): Buffer;
  closed: Promise<void>;
}
function raw(port: number, localAddress = "127.0.0.1"): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: "127.0.0.1", port, localAddress }, () =>
      resolve({ socket, received: () => Buffer.concat(chunks), closed }),
    );
    socket.on("data", (d) => chunks.push(d));
    const closed = new Promise<void>((r) => socket.on("close", () => r()));
    socket.once("error", reject);
  });
}

test("one address cannot take every slot: past the per-address cap it is refused, another address is served", async () => {
  const s = await bobServer({ maxConnectionsPerIp: 4, maxConnections: 64 });
  const held = await Promise.all(Array.from({ length: 4 }, () => raw(s.port)));
  await new Promise((r) => setTimeout(r, 100));
  const extra = await raw(s.port);
  const t0 = Date.now();
  await extra.closed;
  assert.ok(Date.now() - t0 < 1_000, "the fifth connection from one address is closed at once");
  // A genuine peer from another loopback address still links.
  const other = await DirectLink.connect({
    host: "127.0.0.1",
    port: s.port,
    me: ALICE,
    keys: keys.alice,
    expect: BOB,
    peerKeys: directory,
    localAddress: "127.0.0.2",
  });
  assert.equal((await other.request("ping")).status, "OK");
  other.close();
  for (const h of held) h.socket.destroy();
});

test("a linked peer that goes silent is closed after the idle timeout", async () => {
  const s = await bobServer({ idleTimeoutMs: 300 });
  const link = await dial(s);
  assert.equal((await link.request("ping")).status, "OK");
  const closed = new Promise<string>((r) => link.once("close", (e: Error) => r(e.message)));
  const t0 = Date.now();
  assert.match(await closed, /DISCONNECTED/);
  assert.ok(Date.now() - t0 < 3_000, `closed after ${Date.now() - t0} ms`);
});

test("requests queued past the in-flight cap get BUSY; the link stays usable", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const s = await bobServer({
    maxInFlight: 8,
    onRequest: async (_p, command) => {
      if (command === "slow") await gate;
      return { status: "OK" };
    },
  });
  const link = await dial(s);
  const replies = Array.from({ length: 20 }, () => link.request("slow"));
  await new Promise((r) => setTimeout(r, 200));
  release();
  const statuses = (await Promise.all(replies)).map((r) => r.status);
  // The running request and 8 queued behind it run; the rest are answered BUSY, in order.
  assert.deepEqual(statuses, [...Array(9).fill("OK"), ...Array(11).fill("BUSY")]);
  assert.equal((await link.request("ping")).status, "OK");
  link.close();
});

/** What the server sent back: an ERROR line (greeting refused) or framed replies; each names a status word. */
function statusesOf(buf: Buffer): string[] {
  const text = buf.toString("latin1");
  if (text.startsWith("ERROR ")) return [text.split(" ")[1].trim()];
  const start = text.indexOf("OpenGrooveServer\r\n");
  if (start !== 0) return buf.length ? ["?"] : [];
  let rest = buf.subarray("OpenGrooveServer\r\n".length);
  if (rest[0] === 0x63) rest = rest.subarray(1);
  const r = new FrameParser({ maxPacketBytes: 1 << 20 }).push(rest);
  return r.frames.map((f) => {
    const d = decodeReply(f);
    return d.ok ? d.value.status : "?";
  });
}

const garbage = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc
    .constantFrom("OpenGroove direct 1\r", "OpenGroove direct 1\n", "OpenGroove direct 1\r\n", "OpenGroove\n", "GET /")
    .map((g) => new TextEncoder().encode(g)),
  fc
    .tuple(
      fc.constantFrom("\r", "\n", "\r\n"),
      fc.array(fc.string({ unit: "binary", maxLength: 60 }), { maxLength: 8 }),
    )
    .map(([nl, fields]) =>
      Buffer.concat([
        Buffer.from(`OpenGroove direct 1${nl}c`),
        encodeFrame(encodeRequest("h1", "hello", Buffer.from(fields.join("\n"), "latin1"))),
        encodeFrame(encodeRequest("h2", "auth", Buffer.from(fields.slice(0, 1).join(""), "latin1"))),
      ]),
    ),
);

test("garbage greetings and handshakes, split at every byte: a status word or a clean close, never a crash", async () => {
  const s = await bobServer({ handshakeTimeoutMs: 300 });
  await fc.assert(
    fc.asyncProperty(garbage, fc.boolean(), async (bytes, bytewise) => {
      const p = await raw(s.port);
      for (const c of bytewise ? oneByteChunks(Buffer.from(bytes)) : [Buffer.from(bytes)]) p.socket.write(c);
      // The server either refuses (and closes) or waits for more until its handshake deadline.
      await p.closed;
      for (const st of statusesOf(p.received())) assert.ok(isStatusWord(st), `not a status word: ${st}`);
    }),
    { numRuns: 25, seed: 63748 },
  );
  const link = await dial(s);
  assert.equal((await link.request("ping")).status, "OK");
  link.close();
});

test("the greeting split at every byte (CR, LF, CRLF) still links", async () => {
  const s = await bobServer();
  for (const nl of ["\r", "\n", "\r\n"]) {
    const p = await raw(s.port);
    for (const c of oneByteChunks(Buffer.from(`OpenGroove direct 1${nl}`))) {
      p.socket.write(c);
      await new Promise((r) => setImmediate(r));
    }
    p.socket.write("c");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(p.received().toString(), "OpenGrooveServer\r\nc");
    p.socket.destroy();
  }
});
