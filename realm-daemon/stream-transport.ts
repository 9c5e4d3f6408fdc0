// TLS / plain TCP transport: greeting, sync byte, then length-prefixed packets. Bounded
// buffers everywhere: the greeting line (256 bytes), one packet (maxPacketBytes), and what we
// queue for a peer that does not read (maxWriteBufferBytes).
import type net from "node:net";
import { GreetingParser, FrameParser, SERVER_GREETING, SYNC_BYTE, encodeFrame, encodeGreetingError, ProtocolError } from "../lib/protocol/index.ts";
import { Connection, type Transport } from "./connection.ts";
import type { RealmDaemon } from "./daemon.ts";
import type { RealmInfo } from "./state.ts";
import { channelBinding, peerRealmOf } from "./federation/greeting.ts";

export function handleStreamSocket(daemon: RealmDaemon, socket: net.Socket, localPort: number, kind: "tls" | "tcp"): void {
  const limits = daemon.config.limits;
  const remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}`;
  socket.setNoDelay(true);
  socket.on("error", () => undefined); // resets are normal; close handles cleanup

  const greeting = new GreetingParser({ maxLineBytes: 256 });
  const frames = new FrameParser({ maxPacketBytes: limits.maxPacketBytes });
  let conn: Pick<Connection, "onPacket" | "fail" | "close"> | undefined;
  let realm: RealmInfo | undefined;

  const refuse = (err: ProtocolError) => {
    daemon.metrics.errors.inc(1, { command: "greeting" });
    socket.end(encodeGreetingError(err));
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  const greetingTimer = setTimeout(() => refuse(new ProtocolError("TIMEOUT", `no greeting within ${limits.greetingTimeoutMs / 1000} s`)), limits.greetingTimeoutMs);
  greetingTimer.unref();

  const transport: Transport = {
    kind,
    remoteAddress: remote,
    send(payload) {
      if (socket.destroyed) return true;
      if (socket.writableLength > limits.maxWriteBufferBytes) return false;
      socket.write(encodeFrame(payload, Math.max(limits.maxPacketBytes, payload.length)));
      return true;
    },
    close() {
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    },
  };

  const onFrames = (chunk: Buffer) => {
    const r = frames.push(chunk);
    for (const f of r.frames) conn!.onPacket(f);
    if (r.error) conn!.fail(r.error);
  };

  socket.on("data", (chunk: Buffer) => {
    if (conn) return onFrames(chunk);
    for (const ev of greeting.feed(chunk)) {
      if (ev.type === "error") return refuse(ev.error);
      if (ev.type === "greeting") {
        const found = daemon.resolveRealm(localPort, ev.greeting.words);
        if (!found.ok) return refuse(found.error);
        realm = found.value;
        socket.write(SERVER_GREETING);
      } else if (ev.type === "done") {
        clearTimeout(greetingTimer);
        socket.write(SYNC_BYTE);
        // A realm server connecting ("OpenGroove realm <id> ...") is handed to federation.
        const peer = peerRealmOf(ev.greeting.words);
        conn = peer && daemon.federation ? daemon.federation.acceptPeer(realm!, peer, transport, channelBinding(socket, kind)) : new Connection(daemon, realm!, transport);
        if (ev.leftover.length) onFrames(ev.leftover);
        return;
      }
    }
  });
  socket.on("close", () => {
    clearTimeout(greetingTimer);
    conn?.close("peer closed");
  });
}
