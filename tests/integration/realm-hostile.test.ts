// Hostile input over real TLS sockets: every case ends in a status word or a clean close with a
// reason, and the daemon keeps serving everyone else.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import tls from "node:tls";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import {
  encodeClientGreeting,
  encodeFrame,
  encodeRequest,
  FrameParser,
  decodeServerPacket,
  decodeErrorNotification,
} from "../../lib/protocol/index.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness({
    greetingTimeoutMs: 500,
    idleTimeoutMs: 1500,
    maxConnectionsPerIp: 40,
    maxWriteBufferBytes: 256 * 1024,
    maxPacketBytes: 128 * 1024,
  });
});
after(async () => h.stop());

interface Raw {
  socket: tls.TLSSocket;
  received: () => Buffer;
  closed: Promise<void>;
}

function raw(): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: HOST, port: h.port(h.plainRealm), rejectUnauthorized: false }, () =>
      resolve({ socket, received: () => Buffer.concat(chunks), closed }),
    );
    const chunks: Buffer[] = [];
    socket.on("data", (d) => chunks.push(d));
    socket.on("error", () => undefined);
    const closed = new Promise<void>((r) => socket.on("close", () => r()));
    socket.once("error", reject);
  });
}

/** Packets the server sent after the greeting ("OpenGrooveServer\r\nc"). */
function packets(buf: Buffer) {
  const start = buf.indexOf("c", buf.indexOf("\n")) + 1;
  const r = new FrameParser({ maxPacketBytes: 8 << 20 }).push(buf.subarray(start));
  return r.frames.map((f) => {
    const d = decodeServerPacket(f);
    assert.ok(d.ok);
    return d.value;
  });
}

async function healthy(): Promise<void> {
  const c = await h.connect(h.plainRealm);
  await c.ping();
  c.close();
}

test("HTTP on the realm port is refused at once with BADGREETING", async () => {
  const r = await raw();
  r.socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await r.closed;
  assert.match(r.received().toString(), /^ERROR BADGREETING /);
  await healthy();
});

test("no greeting: closed after the greeting timeout with TIMEOUT", async () => {
  const r = await raw();
  const t0 = Date.now();
  await r.closed;
  assert.ok(Date.now() - t0 < 3000);
  assert.match(r.received().toString(), /^ERROR TIMEOUT/);
});

test("garbage bytes, an oversized packet and a malformed packet close with a reason", async () => {
  for (const payload of [
    Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02]),
    Buffer.concat([encodeClientGreeting(), Buffer.from([0x00, 0x10, 0x00, 0x00])]),
    Buffer.concat([encodeClientGreeting(), encodeFrame(Buffer.from("bad id! ping"))]),
  ]) {
    const r = await raw();
    r.socket.write(payload);
    await r.closed;
    const text = r.received().toString("latin1");
    if (text.startsWith("ERROR")) assert.match(text, /^ERROR BADGREETING/);
    else {
      const errs = packets(r.received()).filter((p) => p.kind === "notification" && p.event === "error");
      assert.equal(errs.length, 1);
      const err = errs[0];
      assert.ok(err.kind === "notification");
      const e = decodeErrorNotification(err.data, err.status);
      assert.ok(e.ok && ["TOOLARGE", "BADPACKET"].includes(e.value.status), JSON.stringify(e));
    }
  }
  await healthy();
});

test("unknown commands and commands before login get status words, the connection lives on", async () => {
  const r = await raw();
  r.socket.write(
    Buffer.concat([
      encodeClientGreeting(),
      encodeFrame(encodeRequest("a1", "frobnicate")),
      encodeFrame(encodeRequest("a2", "listinboundmessages")),
      encodeFrame(encodeRequest("a3", "ping")),
    ]),
  );
  await new Promise((res) => setTimeout(res, 300));
  const got = packets(r.received()).map((p) => (p.kind === "reply" ? `${p.id} ${p.status}` : p.event));
  assert.deepEqual(got, ["a1 UNKNOWNCOMMAND", "a2 NOTALLOWED", "a3 OK"]);
  r.socket.destroy();
});

test("idle connections are closed after the idle timeout", async () => {
  const r = await raw();
  r.socket.write(encodeClientGreeting());
  await r.closed;
  const errs = packets(r.received()).filter((p) => p.kind === "notification" && p.event === "error");
  assert.equal(errs.length, 1);
});

test("per-IP connection limit: extra connections are dropped, existing ones keep working", async () => {
  // 40 connections (the limit here) greet and stay open; the 41st is dropped before TLS.
  const held: Raw[] = [];
  for (let i = 0; i < 40; i++) {
    const r = await raw();
    r.socket.write(encodeClientGreeting());
    held.push(r);
  }
  const t0 = Date.now();
  const extra = await raw().then(
    (r) => r.closed.then(() => `closed after TLS with ${JSON.stringify(r.received().toString())}`),
    () => "refused",
  );
  assert.equal(extra, "refused", "the connection over the limit never completes the TLS handshake");
  assert.ok(Date.now() - t0 < 400, "refused at once, not by a timeout");
  const c = await h.connect(h.plainRealm).catch(() => null);
  assert.equal(c, null, "still refused while the 40 are open");
  for (const x of held) x.socket.destroy();
  await new Promise((res) => setTimeout(res, 200));
  await healthy();
});

test("a client that never reads is disconnected once its replies pass the write-buffer bound", async () => {
  const u = await h.user(h.plainRealm, "hoarder");
  const id = u.client.newMessageId(u.userId);
  await u.client.createMessage(id, [u.userId]);
  await u.client.writeMessageData(id, 0, Buffer.alloc(100_000, 7));
  await u.client.sendMessage(id);
  const r = await raw();
  r.socket.pause(); // never read
  const login = encodeFrame(encodeRequest("l", "authenticate", ["hoarder", "laptop", u.password]));
  const reads = Array.from({ length: 60 }, (_, i) =>
    encodeFrame(encodeRequest(`r${i}`, "readmessagedata", [id, "0", "100000"])),
  );
  r.socket.write(Buffer.concat([encodeClientGreeting(), login]));
  const mineLoggedIn = () =>
    [...h.daemon.connections].some(
      (c) => c.transport.remoteAddress.endsWith(`:${r.socket.localPort}`) && c.session?.username === "hoarder",
    );
  for (let i = 0; i < 50 && !mineLoggedIn(); i++) await new Promise((res) => setTimeout(res, 50));
  assert.ok(mineLoggedIn(), "the connection was accepted and logged in");
  const before = h.daemon.connections.size;
  r.socket.write(Buffer.concat(reads));
  const deadline = Date.now() + 10_000;
  let closedByServer = false;
  while (Date.now() < deadline) {
    const mine = [...h.daemon.connections].some((c) => c.transport.remoteAddress.endsWith(`:${r.socket.localPort}`));
    if (!mine) {
      closedByServer = true;
      break;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(closedByServer, `server kept the non-reading connection (connections before: ${before})`);
  r.socket.destroy();
  await healthy();
});
