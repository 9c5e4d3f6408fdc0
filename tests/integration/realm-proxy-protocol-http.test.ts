// PROXY protocol v2 on the realm daemon's HTTP/WebSocket port (opt-in:
// OPENGROOVE_REALM_HTTP_PROXY_PROTOCOL), over real sockets: the balancer is 127.0.0.1, another
// local address (127.0.0.2) is not. The address a balancer's header names is the client's: it is
// what /metrics' loopback rule sees (a remote client behind a loopback balancer is refused, a
// loopback one served) and what the per-address cap counts for a WebSocket session. A balancer
// that omits the header is refused, and so is a header from an address that is not a balancer,
// while a plain request from there is served.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import WebSocket from "ws";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { encodeProxyV2, type ProxyEndpoint } from "../../lib/net/proxy-v2.ts";
import { encodeRequest } from "../../lib/protocol/index.ts";

let h: RealmHarness;
let port: number;
before(async () => {
  h = await startRealmHarness(
    { handshakeTimeoutMs: 1_000, maxConnectionsPerIp: 2 },
    { proxyProtocol: { from: ["127.0.0.1/32"], http: true } },
  );
  const r = await h.db.pool.query<{ httpAddress: string }>(`SELECT "httpAddress" FROM daemon_instances`);
  port = Number(r.rows[0].httpAddress.split(":").pop());
});
after(async () => {
  await h.stop();
});

const header = (source: ProxyEndpoint) =>
  Buffer.from(encodeProxyV2({ command: "proxy", source, destination: { address: HOST, port } }));

/** One HTTP request over raw TCP from `localAddress`, optionally behind a PROXY header; the status line, or "closed". */
function get(localAddress: string, path: string, proxy?: ProxyEndpoint): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port, localAddress }, () => {
      const req = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: realm\r\nConnection: close\r\n\r\n`);
      s.write(proxy ? Buffer.concat([header(proxy), req]) : req);
    });
    let text = "";
    s.on("data", (d: Buffer) => (text += d.toString("latin1")));
    s.on("error", () => undefined);
    s.on("close", () => resolve(text ? text.split("\r\n")[0] : "closed"));
  });
}

test("the header's address is the client's: /metrics is refused to a remote client behind the balancer, served to a loopback one", async () => {
  assert.match(await get(HOST, "/metrics", { address: "203.0.113.7", port: 50_000 }), /^HTTP\/1\.1 401/);
  assert.match(await get(HOST, "/metrics", { address: "127.0.0.9", port: 50_001 }), /^HTTP\/1\.1 200/);
  assert.match(await get(HOST, "/healthz", { address: "203.0.113.7", port: 50_002 }), /^HTTP\/1\.1 200/);
});

test("the balancer must send the header; a header from elsewhere is refused; a plain request from elsewhere is served", async () => {
  assert.equal(await get(HOST, "/healthz"), "closed");
  assert.equal(await get("127.0.0.2", "/healthz", { address: "203.0.113.8", port: 50_003 }), "closed");
  assert.match(await get("127.0.0.2", "/healthz"), /^HTTP\/1\.1 200/);
  // Without a header, 127.0.0.2 is the client: a loopback address, so /metrics answers.
  assert.match(await get("127.0.0.2", "/metrics"), /^HTTP\/1\.1 200/);
});

/** A WebSocket session through the balancer, the header naming `source`. */
function wsVia(source: ProxyEndpoint): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${port}/ws/plain`, {
      createConnection: () => {
        const s = net.connect({ host: HOST, port });
        s.write(header(source));
        return s;
      },
    });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

test("WebSocket sessions through the balancer are counted per real client address", async () => {
  const a = { address: "198.51.100.9", port: 40_000 };
  const first = await wsVia(a);
  const second = await wsVia({ ...a, port: 40_001 });
  assert.equal(h.daemon.admission.countFor("198.51.100.9"), 2);
  assert.equal(h.daemon.admission.countFor(HOST), 0, "the balancer's own address holds no slot");
  // The per-address cap (2) applies to the real client, not to the balancer.
  await assert.rejects(wsVia({ ...a, port: 40_002 }));
  const other = await wsVia({ address: "198.51.100.10", port: 40_003 });
  // The session works: a ping over the WebSocket is answered.
  const reply = new Promise<Buffer>((r) => other.once("message", (d) => r(d as Buffer)));
  other.send(encodeRequest("1", "ping"), { binary: true });
  assert.match((await reply).toString("latin1"), /OK/);
  for (const ws of [first, second, other]) ws.close();
});
