// PROXY protocol v2 on the management daemon's ports (OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_*),
// over real sockets and real TLS: the balancer is 127.0.0.1, another local address (127.0.0.2) is
// not. The address a balancer's header names is the client's: it is what the shared admission
// counts against the per-address cap and what the connection's log lines carry. A balancer that
// omits the header is refused, and so is a header from an address that is not a balancer, while
// a plain connection from there is served. The realm port expects it too; a port not listed
// (here the client port of a second server) serves the balancer's own connections as they are.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import { Writable } from "node:stream";
import pino from "pino";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { MANAGEMENT_DEFAULTS } from "../../management-daemon/config.ts";
import { managementAdmission, startManagementServer, type ManagementServer } from "../../management-daemon/server.ts";
import { ManagementIdentity } from "../../management-daemon/tls-identity.ts";
import { encodeProxyV2, type ProxyEndpoint } from "../../lib/net/proxy-v2.ts";
import { encodeClientGreeting, encodeFrame, encodeRequest } from "../../lib/protocol/index.ts";
import type { Admission } from "../../lib/runtime/admission.ts";

const HOST = "127.0.0.1";
const OTHER = "127.0.0.2";
let db: TestDb;
let identity: ManagementIdentity;
let mgmt: ManagementServer;
let clientOnly: ManagementServer;
let admission: Admission;
const logLines: Record<string, unknown>[] = [];

before(async () => {
  db = await createTestDb();
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split("\n")) if (l) logLines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const log = pino({ level: "debug" }, sink);
  identity = await ManagementIdentity.load(db.pool, log, "localhost", 60_000);
  const limits = { ...MANAGEMENT_DEFAULTS, handshakeTimeoutMs: 1_000, maxConnectionsPerIp: 2 };
  admission = managementAdmission(limits, log);
  mgmt = await startManagementServer({
    pool: db.pool,
    log,
    host: "0.0.0.0",
    clientPort: 0,
    realmPort: 0,
    identity,
    limits,
    admission,
    proxyProtocol: { from: ["127.0.0.1/32"], ports: ["client", "realm"] },
  });
  clientOnly = await startManagementServer({
    pool: db.pool,
    log: pino({ level: "silent" }),
    host: "0.0.0.0",
    clientPort: 0,
    realmPort: 0,
    identity,
    limits,
    proxyProtocol: { from: ["127.0.0.1/32"], ports: ["realm"] },
  });
});
after(async () => {
  await mgmt.close();
  await clientOnly.close();
  identity.close();
  await db.drop();
});

interface Session {
  /** "OK" when a ping over TLS was answered; "closed" when the server closed the connection first. */
  result: string;
  close(): void;
}

/** A TLS session from `localAddress` to `port`, optionally behind a PROXY header naming `source`; sends one ping. */
function session(port: number, localAddress: string, source?: ProxyEndpoint): Promise<Session> {
  return new Promise((resolve) => {
    let settled = false;
    const raw = net.connect({ host: HOST, port, localAddress });
    const done = (result: string) => {
      if (settled) return;
      settled = true;
      resolve({ result, close: () => raw.destroy() });
    };
    raw.on("error", () => done("closed"));
    setTimeout(() => {
      done("timeout");
      raw.destroy();
    }, 5_000).unref();
    raw.once("connect", () => {
      if (source) raw.write(encodeProxyV2({ command: "proxy", source, destination: { address: HOST, port } }));
      // Pinning is covered elsewhere (federation-trust); here only the channel matters.
      const s = tls.connect({ socket: raw, servername: "localhost", rejectUnauthorized: false }, () => {
        s.write(Buffer.concat([encodeClientGreeting(), encodeFrame(encodeRequest("p1", "ping"))]));
      });
      let text = "";
      s.on("data", (d: Buffer) => {
        text += d.toString("latin1");
        if (/p1 ping OK/.test(text)) done("OK");
      });
      s.on("error", () => done("closed"));
      s.on("close", () => done("closed"));
    });
  });
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("the header's address is the client's: the per-address cap counts it, the logs carry it", async () => {
  const a = { address: "198.51.100.9", port: 40_000 };
  const first = await session(mgmt.clientPort, HOST, a);
  const second = await session(mgmt.realmPort, HOST, { ...a, port: 40_001 });
  assert.equal(first.result, "OK");
  // The realm port answers ping too (an anonymous realm may ping); it counts on the same admission.
  assert.equal(second.result, "OK");
  assert.equal(admission.countFor("198.51.100.9"), 2);
  assert.equal(admission.countFor(HOST), 0, "the balancer's own address holds no slot");
  // The cap (2) applies to the real client, not to the balancer: a third from it is refused...
  const third = await session(mgmt.clientPort, HOST, { ...a, port: 40_002 });
  assert.equal(third.result, "closed");
  // ...while another client through the same balancer is served.
  const other = await session(mgmt.clientPort, HOST, { address: "198.51.100.10", port: 40_003 });
  assert.equal(other.result, "OK");
  assert.ok(
    logLines.some((l) => l.reason === "per-ip-cap" && l.ip === "198.51.100.9"),
    "the refusal names the real client",
  );
  for (const s of [first, second, third, other]) s.close();
  await until("the slots to be released", () => admission.countFor("198.51.100.9") === 0);
  // The session's log lines ("connection closed" among them) carry the real address and port.
  await until("the session's close to be logged", () => logLines.some((l) => l.remote === "198.51.100.9:40000"));
});

test("the balancer must send the header; a header from elsewhere is refused; a plain session from elsewhere is served", async () => {
  const before = logLines.length;
  const noHeader = await session(mgmt.clientPort, HOST);
  assert.equal(noHeader.result, "closed");
  const forged = await session(mgmt.realmPort, OTHER, { address: "203.0.113.8", port: 50_003 });
  assert.equal(forged.result, "closed");
  const plain = await session(mgmt.clientPort, OTHER);
  assert.equal(plain.result, "OK");
  const warnings = logLines.slice(before).map((l) => String(l.msg));
  assert.ok(warnings.some((m) => /the balancer did not send a valid PROXY v2 header/.test(m)));
  assert.ok(warnings.some((m) => /PROXY header from an address that is not a configured balancer/.test(m)));
  for (const s of [noHeader, forged, plain]) s.close();
  // Without a header, the socket's own peer is the client.
  await until("the plain session's close to be logged", () =>
    logLines.slice(before).some((l) => String(l.remote).startsWith(`${OTHER}:`)),
  );
});

test("a silent balancer connection is closed at the handshake deadline", async () => {
  const started = Date.now();
  const ms = await new Promise<number>((resolve) => {
    const s = net.connect({ host: HOST, port: mgmt.realmPort });
    s.on("error", () => undefined);
    s.on("close", () => resolve(Date.now() - started));
  });
  assert.ok(ms >= 700 && ms < 5_000, `closed after ${ms} ms`);
});

test("opt-in per port: a port not listed serves the balancer's own connections without a header", async () => {
  const sessions = [
    await session(clientOnly.clientPort, HOST),
    await session(clientOnly.realmPort, HOST),
    await session(clientOnly.realmPort, HOST, { address: "198.51.100.20", port: 1 }),
  ];
  assert.deepEqual(
    sessions.map((s) => s.result),
    ["OK", "closed", "OK"],
  );
  for (const s of sessions) s.close();
});
