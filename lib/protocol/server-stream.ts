// The server side of a stream connection (TLS or TCP), shared by the realm daemon and the
// management daemon: greeting with a timeout and a length limit, the server's greeting and the
// sync byte, then length-prefixed packets handed to a sink. Bounded buffers everywhere: the
// greeting line, one packet (maxPacketBytes), and what is queued for a peer that does not read.
import type net from "node:net";
import { GreetingParser, SERVER_GREETING, SYNC_BYTE, encodeGreetingError } from "./greeting.ts";
import { FrameParser, encodeFrame } from "./frame-parser.ts";
import { ProtocolError } from "./errors.ts";
import { asBuffer } from "./node-bytes.ts";

/** What a connection handler gets to talk back with. */
export interface StreamTransport {
  readonly remoteAddress: string;
  /** Sends one packet payload; false when the peer is not reading (queued bytes over the bound). */
  send(payload: Uint8Array): boolean;
  close(): void;
}

/** Who receives the packets once the greeting is done. */
export interface PacketSink {
  onPacket(payload: Buffer): void;
  /** A framing error: report it and close. */
  fail(error: ProtocolError): void;
  /** The peer went away. */
  close(reason?: string): void;
}

export interface AcceptStreamOptions {
  /** The peer's "address:port" when the socket's is not the client's (behind a PROXY-protocol balancer). */
  remoteAddress?: string;
  maxPacketBytes: number;
  greetingTimeoutMs: number;
  maxWriteBufferBytes: number;
  /** Decides on the words after "OpenGroove"; an error refuses the connection with an ERROR line. */
  onGreeting(words: string[]): ProtocolError | null;
  /** Called after the sync byte; returns the sink for the packets. */
  onReady(transport: StreamTransport, words: string[]): PacketSink;
  /** A refused greeting (for metrics). */
  onRefused?(error: ProtocolError): void;
}

export function acceptStream(socket: net.Socket, opts: AcceptStreamOptions): void {
  const remoteAddress = opts.remoteAddress ?? `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}`;
  socket.setNoDelay(true);
  socket.on("error", () => undefined); // resets are normal; "close" cleans up
  const greeting = new GreetingParser();
  const frames = new FrameParser({ maxPacketBytes: opts.maxPacketBytes });
  let sink: PacketSink | undefined;

  const refuse = (err: ProtocolError) => {
    opts.onRefused?.(err);
    socket.end(encodeGreetingError(err));
    setTimeout(() => socket.destroy(), 1000).unref();
  };
  // Never earlier than the limit; up to a quarter later at random (see lib/runtime/admission.ts:
  // connections opened in one wave are not all refused, and reopened, in the same instant).
  const greetingTimer = setTimeout(
    () => refuse(new ProtocolError("TIMEOUT", `no greeting within ${opts.greetingTimeoutMs / 1000} s`)),
    opts.greetingTimeoutMs * (1 + Math.random() / 4),
  );
  greetingTimer.unref();

  const transport: StreamTransport = {
    remoteAddress,
    send(payload) {
      if (socket.destroyed) return true;
      if (socket.writableLength > opts.maxWriteBufferBytes) return false;
      socket.write(encodeFrame(payload, Math.max(opts.maxPacketBytes, payload.length)));
      return true;
    },
    close() {
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    },
  };

  const onFrames = (chunk: Uint8Array) => {
    const r = frames.push(chunk);
    for (const f of r.frames) sink!.onPacket(asBuffer(f));
    if (r.error) sink!.fail(r.error);
  };

  socket.on("data", (chunk: Buffer) => {
    if (sink) return onFrames(chunk);
    for (const ev of greeting.feed(chunk)) {
      if (ev.type === "error") return refuse(ev.error);
      if (ev.type === "greeting") {
        const refused = opts.onGreeting(ev.greeting.words);
        if (refused) return refuse(refused);
        socket.write(SERVER_GREETING);
      } else if (ev.type === "done") {
        clearTimeout(greetingTimer);
        socket.write(SYNC_BYTE);
        sink = opts.onReady(transport, ev.greeting.words);
        if (ev.leftover.length) onFrames(ev.leftover);
        return;
      }
    }
  });
  socket.on("close", () => {
    clearTimeout(greetingTimer);
    sink?.close("peer closed");
  });
}
