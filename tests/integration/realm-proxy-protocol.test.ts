// PROXY protocol v2 on a realm port, with real bytes over real sockets: a small forwarder plays
// the balancer (it connects from 127.0.0.1, the configured balancer address, and prepends a v2
// header naming a client address) in front of the daemon's TLS port. The per-address connection
// cap and the registration limit count the real client addresses; a balancer that omits the header
// is refused; a header from an address that is not a balancer (127.0.0.2) is refused and closed,
// while a plain client from there is served.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { encodeProxyV2, type ProxyEndpoint } from "../../lib/net/proxy-v2.ts";
import { encodeClientGreeting } from "../../lib/protocol/greeting.ts";
import { RealmClient } from "../../client/sdk/index.ts";

let h: RealmHarness;
let port: number;
const forwarders: net.Server[] = [];
before(async () => {
  h = await startRealmHarness(
    { maxConnectionsPerIp: 2, registrationsPerIp: 1, handshakeTimeoutMs: 1_000 },
    { proxyProtocol: { from: ["127.0.0.1/32"] } },
  );
  port = h.port(h.plainRealm);
});
after(async () => {
  for (const f of forwarders) f.close();
  await h.stop();
});

/** A balancer: every connection to it is forwarded to the realm port behind a PROXY v2 header naming `source`. */
async function balancer(source: () => ProxyEndpoint): Promise<number> {
  const server = net.createServer((down) => {
    const up = net.connect({ host: HOST, port }, () => {
      up.write(encodeProxyV2({ command: "proxy", source: source(), destination: { address: HOST, port } }));
      down.pipe(up);
      up.pipe(down);
    });
    for (const s of [up, down]) {
      s.on("error", () => undefined);
      s.on("close", () => (s === up ? down : up).destroy());
    }
  });
  forwarders.push(server);
  await new Promise<void>((r) => server.listen(0, HOST, r));
  return (server.address() as net.AddressInfo).port;
}

const connectVia = (p: number) => RealmClient.connect({ host: HOST, port: p, realm: "plain", timeoutMs: 5_000 });

/** Raw TCP from `localAddress`; resolves with whatever the server sent before it closed (or after `ms`). */
function rawExchange(localAddress: string, first: Uint8Array, ms = 3_000): Promise<{ closed: boolean; bytes: number }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port, localAddress }, () => s.write(first));
    let bytes = 0;
    s.on("data", (d: Buffer) => (bytes += d.length));
    s.on("error", () => undefined);
    const t = setTimeout(() => {
      s.destroy();
      resolve({ closed: false, bytes });
    }, ms);
    s.on("close", () => {
      clearTimeout(t);
      resolve({ closed: true, bytes });
    });
  });
}

test("the per-address connection cap counts the real client addresses behind the balancer", async () => {
  const viaA = await balancer(() => ({ address: "203.0.113.9", port: 40_000 }));
  const viaB = await balancer(() => ({ address: "2001:db8::77", port: 40_001 }));
  const a1 = await connectVia(viaA);
  const a2 = await connectVia(viaA);
  // A third from the same real address is over the cap of 2, although the balancer's own is one address.
  await assert.rejects(connectVia(viaA), /DISCONNECTED/);
  const b1 = await connectVia(viaB);
  assert.equal((await b1.request("ping")).status, "OK");
  assert.equal((await a1.request("ping")).status, "OK");
  for (const c of [a1, a2, b1]) c.close();
});

test("the registration limit counts the real client addresses", async () => {
  let n = 0;
  const viaC = await balancer(() => ({ address: "198.51.100.1", port: 41_000 + n++ }));
  const viaD = await balancer(() => ({ address: "198.51.100.2", port: 42_000 }));
  const register = async (via: number, username: string) => {
    const c = await connectVia(via);
    try {
      return (await c.request("registeraccount", Buffer.from(`username=${username}&password=proxy+test+password`)))
        .status;
    } finally {
      c.close();
    }
  };
  assert.equal(await register(viaC, "pp-one"), "OK");
  assert.equal(await register(viaC, "pp-two"), "RATELIMITED");
  assert.equal(await register(viaD, "pp-three"), "OK");
});

test("a configured balancer that omits the header is refused; so is a bad header", async () => {
  // The SDK connecting directly from 127.0.0.1 (the balancer's address) sends a TLS ClientHello first.
  await assert.rejects(connectVia(port), /DISCONNECTED/);
  const bad = await rawExchange("127.0.0.1", Buffer.from("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"));
  assert.deepEqual(bad, { closed: true, bytes: 0 });
  // Half a header, then nothing: closed at the handshake deadline (1 s here), not held open.
  const half = encodeProxyV2({
    command: "proxy",
    source: { address: "203.0.113.5", port: 1 },
    destination: { address: HOST, port },
  }).subarray(0, 20);
  const t0 = Date.now();
  assert.deepEqual(await rawExchange("127.0.0.1", half, 5_000), { closed: true, bytes: 0 });
  assert.ok(Date.now() - t0 < 4_000, "closed by the deadline");
});

test("a PROXY header from an address that is not a balancer is refused; a plain client from there is served", async () => {
  const header = encodeProxyV2({
    command: "proxy",
    source: { address: "203.0.113.66", port: 1234 },
    destination: { address: HOST, port },
  });
  assert.deepEqual(await rawExchange("127.0.0.2", header), { closed: true, bytes: 0 });
  // The same address without a header: TLS and the greeting work.
  const greeting = await new Promise<string>((resolve, reject) => {
    const raw = net.connect({ host: HOST, port, localAddress: "127.0.0.2" }, () => {
      const t = tls.connect({ socket: raw, rejectUnauthorized: false }, () => t.write(encodeClientGreeting(["plain"])));
      let got = "";
      t.on("data", (d: Buffer) => {
        got += d.toString("latin1");
        if (got.includes("\n")) {
          t.destroy();
          resolve(got);
        }
      });
      t.on("error", reject);
    });
    raw.on("error", reject);
  });
  assert.match(greeting, /^OpenGroove/);
});
