// The realm client listener on the shared connection engine: past the per-connection limit of
// requests in flight it answers BUSY at once, keeps the connection, and answers every accepted
// request in order. Real TLS sockets and database; a table lock holds the accepted requests.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import tls from "node:tls";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import {
  decodeServerPacket,
  encodeClientGreeting,
  encodeFrame,
  encodeRequest,
  FrameParser,
} from "../../lib/protocol/index.ts";

const LIMIT = 2;
let h: RealmHarness;
before(async () => {
  h = await startRealmHarness({ maxQueuedRequests: LIMIT });
});
after(async () => h.stop());

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("realm client port: requests past the in-flight limit get BUSY, the rest are answered in order", async () => {
  // authenticate reads users: held by the lock, the first request stays in flight.
  const holder = await h.db.pool.connect();
  await holder.query("BEGIN");
  await holder.query("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
  const socket = tls.connect({ host: HOST, port: h.port(h.plainRealm), rejectUnauthorized: false });
  socket.on("error", () => undefined);
  let buf = Buffer.alloc(0);
  socket.on("data", (d: Buffer) => (buf = Buffer.concat([buf, d])));
  const replies = (): string[] => {
    const start = buf.indexOf("c", buf.indexOf("\n")) + 1;
    if (start === 0) return [];
    return new FrameParser({ maxPacketBytes: 1 << 20 })
      .push(buf.subarray(start))
      .frames.map((f) => decodeServerPacket(f))
      .flatMap((p) => (p.ok && p.value.kind === "reply" ? [`${p.value.id} ${p.value.status}`] : []));
  };
  try {
    await new Promise<void>((r) => socket.once("secureConnect", () => r()));
    const n = 8;
    const reqs = Array.from({ length: n }, (_, i) =>
      encodeFrame(encodeRequest(`q${i}`, "authenticate", ["nobody", "", "wrong password"])),
    );
    socket.write(Buffer.concat([encodeClientGreeting(), ...reqs]));
    await until("the BUSY replies", () => replies().length >= n - 1 - LIMIT);
    assert.deepEqual(
      replies(),
      Array.from({ length: n - 1 - LIMIT }, (_, i) => `q${i + 1 + LIMIT} BUSY`),
    );
    await holder.query("COMMIT");
    await until("the accepted replies", () => replies().length >= n);
    assert.deepEqual(
      replies().slice(n - 1 - LIMIT),
      Array.from({ length: 1 + LIMIT }, (_, i) => `q${i} BADAUTH`),
    );
    socket.write(encodeFrame(encodeRequest("after", "ping")));
    await until("the ping reply", () => replies().includes("after OK"));
  } finally {
    await holder.query("ROLLBACK").catch(() => undefined);
    holder.release();
    socket.destroy();
  }
});
