// wss:// on the realm daemon's HTTP port (issue #13): the same port serves plain HTTP and TLS,
// told apart by the first byte; TLS uses the realm's own certificate chosen by SNI (the first
// served realm's without SNI). The SDK's "wss" transport runs the protocol over it (with a
// pinned fingerprint), and refuses to send a password over plain ws:// to another host.
// Real TLS sockets, the `ws` client, a real daemon.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import WebSocket from "ws";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { RealmClient, OpenGrooveError } from "../../client/sdk/index.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

const fingerprintOf = (realmId: string) => h.daemon.listeners.keyFor(realmId)!.tlsFingerprint;
const hex = (f: string | undefined) => f?.replace(/:/g, "").toLowerCase();

/** Opens wss://HOST:<http port>/ws/<slug> with the `ws` client; resolves with the certificate's fingerprint. */
function wssOpen(slug: string, servername?: string): Promise<{ ws: WebSocket; fingerprint: string | undefined }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://${HOST}:${h.daemon.httpPort}/ws/${slug}`, {
      rejectUnauthorized: false,
      ...(servername ? { servername } : {}),
    });
    let fingerprint: string | undefined;
    ws.on("upgrade", (res) => (fingerprint = hex((res.socket as tls.TLSSocket).getPeerCertificate().fingerprint256)));
    ws.on("open", () => resolve({ ws, fingerprint }));
    ws.on("error", reject);
  });
}

test("one port, both: wss:// with the realm's certificate by SNI, ws:// and plain HTTP beside it", async () => {
  // SNI names the realm: its certificate.
  const plain = await wssOpen("plain", "plain.test");
  assert.equal(plain.fingerprint, fingerprintOf(h.plainRealm));
  const reply = new Promise<string>((r) => plain.ws.once("message", (d: Buffer) => r(d.toString())));
  plain.ws.send(Buffer.from("q1 ping"));
  assert.match(await reply, /^q1 ping OK/);
  plain.ws.close();
  const open = await wssOpen(h.daemon.realmById(h.openRealm)!.slug, "realm.test");
  assert.equal(open.fingerprint, fingerprintOf(h.openRealm));
  open.ws.close();
  // No SNI (an address): the first served realm's certificate, not a failed handshake.
  const bare = await wssOpen("plain");
  const served = h.daemon.listRealms().map((r) => fingerprintOf(r.id));
  assert.ok(served.includes(bare.fingerprint!), "a realm certificate without SNI");
  bare.ws.close();
  // Plain ws:// and HTTP still work on the same port.
  const ws = await RealmClient.connect({ host: HOST, port: h.daemon.httpPort!, transport: "ws", realm: "plain" });
  await ws.ping();
  ws.close();
  assert.equal((await fetch(`http://${HOST}:${h.daemon.httpPort}/healthz`)).status, 200);
  // https:// too (the same TLS layer in front of the HTTP server).
  const status = await new Promise<number>((resolve, reject) =>
    https
      .get(
        { host: HOST, port: h.daemon.httpPort, path: "/healthz", rejectUnauthorized: false, servername: "plain.test" },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
      .on("error", reject),
  );
  assert.equal(status, 200);
});

test("the SDK over wss: log in with a pinned fingerprint, send and read; a wrong fingerprint is refused before any password", async () => {
  const bob = await h.user(h.plainRealm, "wssbob");
  await h.user(h.plainRealm, "wssalice", { computer: "browser" });
  const port = h.daemon.httpPort!;
  const c = await RealmClient.connect({
    host: HOST,
    port,
    transport: "wss",
    realm: "plain",
    servername: "plain.test",
    fingerprint: fingerprintOf(h.plainRealm),
  });
  assert.equal(c.fingerprint, fingerprintOf(h.plainRealm));
  await c.authenticate("wssalice", "browser", "correct horse battery");
  const id = await c.send(`${h.plainRealm}::wssalice`, [bob.userId], Buffer.from("over wss"));
  assert.equal((await bob.client.read(id)).toString(), "over wss");
  c.close();
  await assert.rejects(
    RealmClient.connect({ host: HOST, port, transport: "wss", realm: "plain", fingerprint: "00".repeat(32) }),
    (e: OpenGrooveError) => e.status === "BADAUTH" && /fingerprint/.test(e.reason),
  );
});

test("the SDK refuses to send a password over plain ws:// to a host that is not loopback", async () => {
  await h.user(h.plainRealm, "wscarol");
  // 0.0.0.0 reaches this machine on Linux but is not a loopback name: the rule applies.
  const far = await RealmClient.connect({ host: "0.0.0.0", port: h.daemon.httpPort!, transport: "ws", realm: "plain" });
  await far.ping(); // commands without a password go through
  for (const [command, args] of [
    ["authenticate", ["wscarol", "laptop", "correct horse battery"]],
    ["setpassword", ["correct horse battery", "another long password"]],
  ] as const) {
    await assert.rejects(
      far.request(command, args),
      (e: OpenGrooveError) => e.status === "NOTALLOWED" && /unencrypted ws:\/\/.*wss/.test(e.reason),
    );
  }
  far.close();
  // Loopback: allowed (the daemon on this machine).
  const near = await RealmClient.connect({ host: HOST, port: h.daemon.httpPort!, transport: "ws", realm: "plain" });
  await near.authenticate("wscarol", "laptop", "correct horse battery");
  near.close();
});

test("a TLS client that stops after a partial ClientHello on the HTTP port is closed by the admission deadline", async () => {
  const s = net.connect(h.daemon.httpPort!, HOST);
  await new Promise((r) => s.once("connect", r));
  const t0 = Date.now();
  s.write(Buffer.from([0x16, 0x03, 0x01])); // a TLS record header, then silence
  s.on("error", () => undefined);
  await new Promise<void>((r) => s.once("close", () => r()));
  const waited = Date.now() - t0;
  const deadline = h.daemon.config.limits.handshakeTimeoutMs;
  // Closed by the deadline (not at once, not never): loose upper bound for a loaded machine.
  assert.ok(waited >= deadline - 200 && waited < 3 * deadline, `closed after ${waited} ms (deadline ${deadline} ms)`);
});
