// Silent and trickling TCP connections to a TLS realm port: closed at the absolute TLS handshake
// deadline (OPENGROOVE_REALM_HANDSHAKE_TIMEOUT_MS), and their per-address slots freed so a real
// client from the same address gets in afterwards.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";

const CAP = 5;
let h: RealmHarness;
before(async () => {
  h = await startRealmHarness({ handshakeTimeoutMs: 800, maxConnectionsPerIp: CAP });
});
after(async () => h.stop());

/** A TLS record header announcing a 512-byte ClientHello, then one byte every 150 ms. */
const RECORD_HEADER = [0x16, 0x03, 0x01, 0x02, 0x00];

function open(trickle: boolean): Promise<{ closedAfterMs: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const s = net.connect({ host: HOST, port: h.port(h.plainRealm) }, () => {
      let i = 0;
      const timer = trickle
        ? setInterval(() => {
            if (!s.destroyed) s.write(Buffer.from([i < RECORD_HEADER.length ? RECORD_HEADER[i] : 0x01]));
            i++;
          }, 150)
        : undefined;
      const closedAfterMs = new Promise<number>((r) =>
        s.on("close", () => {
          clearInterval(timer);
          r(Date.now() - started);
        }),
      );
      resolve({ closedAfterMs });
    });
    s.on("error", () => undefined);
    s.once("error", reject);
  });
}

test("silent and trickling sockets are closed at the handshake deadline and free their slots", async () => {
  const socks = [];
  for (let i = 0; i < CAP; i++) socks.push(await open(i % 2 === 0));
  // Every per-address slot is taken: a real client is refused now.
  await assert.rejects(async () => {
    const c = await h.connect(h.plainRealm);
    await c.ping();
  });
  const limit = new Promise<number>((r) => setTimeout(() => r(-1), 6_000).unref());
  for (const s of socks) {
    const ms = await Promise.race([s.closedAfterMs, limit]);
    assert.ok(ms >= 0, "a silent or trickling socket was still open after 6 s");
    assert.ok(ms >= 700, `closed too early (${ms} ms)`);
  }
  const c = await h.connect(h.plainRealm);
  await c.ping();
  c.close();
});
