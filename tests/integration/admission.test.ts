// The same admission on every listener (lib/runtime/admission.ts): the WebSocket/HTTP port of
// the realm daemon has the per-address and global caps and the absolute pre-request deadline of
// the realm ports, and both management ports close a silent connection at the handshake
// deadline. Real sockets, real daemons, real PostgreSQL.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import pino from "pino";
import WebSocket from "ws";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { MANAGEMENT_DEFAULTS } from "../../management-daemon/config.ts";
import { startManagementServer, type ManagementServer } from "../../management-daemon/server.ts";
import { ManagementIdentity } from "../../management-daemon/tls-identity.ts";

const PER_IP = 64;
const GLOBAL = 100;
let h: RealmHarness;
let mdb: TestDb;
let mgmt: ManagementServer;
let identity: ManagementIdentity;

before(async () => {
  h = await startRealmHarness({ maxConnectionsPerIp: PER_IP, maxConnections: GLOBAL, handshakeTimeoutMs: 800 });
  mdb = await createTestDb();
  const log = pino({ level: "silent" });
  identity = await ManagementIdentity.load(mdb.pool, log, "localhost", 60_000);
  mgmt = await startManagementServer({
    pool: mdb.pool,
    log,
    host: HOST,
    clientPort: 0,
    realmPort: 0,
    identity,
    limits: { ...MANAGEMENT_DEFAULTS, handshakeTimeoutMs: 800, maxConnectionsPerIp: 4 },
  });
});
after(async () => {
  await mgmt.close();
  await mdb.drop();
  await h.stop();
});

/** Opens a WebSocket to /ws/plain from `localAddress`; resolves to the socket once open, or null when refused. */
function openWs(localAddress = HOST): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${HOST}:${h.daemon.httpPort}/ws/plain`, { localAddress, handshakeTimeout: 10_000 });
    ws.once("open", () => resolve(ws));
    ws.once("error", () => resolve(null));
    ws.once("unexpected-response", () => resolve(null));
  });
}

test("600 WebSocket connections from one address: exactly the per-address cap is served; the global cap holds across addresses", async () => {
  const opened: WebSocket[] = [];
  try {
    const first = await Promise.all(Array.from({ length: 600 }, () => openWs()));
    const ok = first.filter((x): x is WebSocket => x !== null);
    opened.push(...ok);
    assert.equal(ok.length, PER_IP, `${ok.length} of 600 WebSocket connections from one address were opened`);
    // The sessions are real: a ping on one of them is answered.
    const pong = await new Promise<string>((resolve) => {
      ok[0].once("message", (d: Buffer) => resolve(d.toString()));
      ok[0].send(Buffer.from("p1 ping"), { binary: true });
    });
    assert.match(pong, /^p1 ping OK/);
    // A second address gets its own per-address slots, until the global cap (shared with the realm
    // ports: one admission per daemon) is reached.
    const second = await Promise.all(Array.from({ length: PER_IP }, () => openWs("127.0.0.2")));
    const ok2 = second.filter((x): x is WebSocket => x !== null);
    opened.push(...ok2);
    assert.equal(ok2.length, GLOBAL - PER_IP);
    assert.equal(h.daemon.admission.size, GLOBAL);
  } finally {
    for (const ws of opened) ws.terminate();
  }
  // Slots are given back when the sockets close.
  const deadline = Date.now() + 5_000;
  while (h.daemon.admission.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(h.daemon.admission.size, 0);
  const again = await openWs();
  assert.ok(again, "a new WebSocket is served once the others closed");
  again.terminate();
});

/** Connects a raw TCP socket that sends `bytes` (or nothing) and resolves with how long it stayed open. */
function silent(port: number, bytes?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const s = net.connect({ host: HOST, port }, () => {
      if (bytes) s.write(bytes);
    });
    s.on("error", () => undefined);
    s.on("close", () => resolve(Date.now() - started));
    setTimeout(() => {
      s.destroy();
      reject(new Error(`a silent connection to port ${port} was still open after 8 s`));
    }, 8_000).unref();
  });
}

test("a silent or half-sent HTTP request on the WebSocket port is closed at the deadline", async () => {
  const [quiet, partial] = await Promise.all([
    silent(h.daemon.httpPort!),
    silent(h.daemon.httpPort!, Buffer.from("GET /ws/plain HTTP/1.1\r\nHost: x\r\n")),
  ]);
  for (const ms of [quiet, partial]) assert.ok(ms >= 700 && ms < 5_000, `closed after ${ms} ms`);
});

test("a silent connection to either management port is closed at the handshake deadline", async () => {
  const [client, realm] = await Promise.all([silent(mgmt.clientPort), silent(mgmt.realmPort)]);
  for (const ms of [client, realm]) assert.ok(ms >= 700 && ms < 5_000, `closed after ${ms} ms`);
});

test("management ports: the per-address cap counts connections before the TLS handshake", async () => {
  const held = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect({ host: HOST, port: mgmt.realmPort }, () => resolve(s));
          s.on("error", () => undefined);
        }),
    ),
  );
  // Let the server accept them (the client's connect event can come first).
  await new Promise((r) => setTimeout(r, 200));
  try {
    // Both ports share one admission: a fifth connection from this address, on the other port, is refused at once.
    const ms = await silent(mgmt.clientPort);
    assert.ok(ms < 500, `the fifth connection stayed open ${ms} ms`);
  } finally {
    for (const s of held) s.destroy();
  }
});
