// The management daemon runs on the shared connection engine: past its per-connection limit of
// requests in flight it answers BUSY (like the realm daemon), keeps the connection, and answers
// every accepted request in order. Real sockets, a real database; the database is held with a
// table lock so the requests are provably in flight when the extra ones arrive.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import pino from "pino";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import { MANAGEMENT_DEFAULTS } from "../../management-daemon/config.ts";
import { startManagementServer, type ManagementServer } from "../../management-daemon/server.ts";
import {
  decodeServerPacket,
  encodeClientGreeting,
  encodeFrame,
  encodeRequest,
  FrameParser,
  type ServerPacket,
} from "../../lib/protocol/index.ts";

const LIMIT = 2;
let db: TestDb;
let server: ManagementServer;

before(async () => {
  db = await createTestDb();
  server = await startManagementServer({
    pool: db.pool,
    log: pino({ level: "silent" }),
    host: "127.0.0.1",
    clientPort: 0,
    realmPort: 0,
    limits: { ...MANAGEMENT_DEFAULTS, maxQueuedRequests: LIMIT },
  });
});
after(async () => {
  await server.close();
  await db.drop();
});

/** A raw client: the packets the server sent after its greeting ("OpenGrooveServer\r\nc"). */
function open(port: number) {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.on("error", () => undefined);
  let buf = Buffer.alloc(0);
  socket.on("data", (d: Buffer) => (buf = Buffer.concat([buf, d])));
  const packets = (): ServerPacket[] => {
    const start = buf.indexOf("c", buf.indexOf("\n")) + 1;
    if (start === 0) return [];
    return new FrameParser({ maxPacketBytes: 1 << 20 }).push(buf.subarray(start)).frames.map((f) => {
      const p = decodeServerPacket(f);
      assert.ok(p.ok);
      return p.value;
    });
  };
  return { socket, packets };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const replies = (ps: ServerPacket[]) => ps.flatMap((p) => (p.kind === "reply" ? [`${p.id} ${p.status}`] : []));

for (const kind of ["client", "realm"] as const) {
  test(`management ${kind} port: requests past the in-flight limit get BUSY, the rest are answered in order`, async () => {
    // Hold known_realms so the first listrealms/getrealmkeys cannot finish while the rest arrive.
    const holder = await db.pool.connect();
    await holder.query("BEGIN");
    await holder.query("LOCK TABLE known_realms IN ACCESS EXCLUSIVE MODE");
    const port = kind === "client" ? server.clientPort : server.realmPort;
    const c = open(port);
    try {
      const n = 10;
      const reqs = Array.from({ length: n }, (_, i) => encodeFrame(encodeRequest(`q${i}`, "getrealmkeys", ["x:1"])));
      c.socket.write(Buffer.concat([encodeClientGreeting(), ...reqs]));
      // One running plus LIMIT queued; every later one is refused at once, while the lock holds.
      await until("the BUSY replies", () => replies(c.packets()).length >= n - 1 - LIMIT);
      const early = replies(c.packets());
      assert.deepEqual(
        early,
        Array.from({ length: n - 1 - LIMIT }, (_, i) => `q${i + 1 + LIMIT} BUSY`),
      );
      const busy = c.packets().find((p) => p.kind === "reply" && p.status === "BUSY");
      assert.match(busy?.kind === "reply" ? busy.data.toString() : "", /in flight \(limit 2\)/);
      await holder.query("COMMIT");
      await until("the accepted replies", () => replies(c.packets()).length >= n);
      assert.deepEqual(
        replies(c.packets()).slice(n - 1 - LIMIT),
        Array.from({ length: 1 + LIMIT }, (_, i) => `q${i} NOSUCHREALM`),
      );
      // The connection lives on.
      c.socket.write(encodeFrame(encodeRequest("after", "ping")));
      await until("the ping reply", () => replies(c.packets()).includes("after OK"));
    } finally {
      await holder.query("ROLLBACK").catch(() => undefined);
      holder.release();
      c.socket.destroy();
    }
  });
}
