// A client that behaves like the original 2008 OpenGroove client on the wire, written only from
// docs/protocol.md's description of the original bytes (sections 2, 3 and 6, "original bytes"):
// not from our SDK or codec, so that a change to lib/protocol cannot hide a drift from the
// original. TLS without the realm's key check (the original asked the user about a self-signed
// certificate); the greeting `OpenGroove` LF, the server's line, the `c` sync bytes; then
// 4-byte big-endian length-prefixed packets, `id SP command SP contents` out, and the original
// reply parser in: the first 128 bytes split on spaces into at most four tokens (id, command,
// status, rest), a packet with fewer dropped as "too short", the data starting after the third
// space. Packet ids `p1`, `p2`, ...; pushes are recognised by their command name, as the
// original's listeners did.
import tls from "node:tls";

export interface OriginalPacket {
  id: string;
  command: string;
  status: string;
  data: Buffer;
}

type Waiter = (p: OriginalPacket) => void;

export class OriginalClient {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private waiters = new Map<string, Waiter>();
  /** Every packet the parser accepted, replies and pushes, in arrival order. */
  readonly received: OriginalPacket[] = [];
  /** Packets the original parser would have dropped as too short (fewer than 4 tokens). */
  readonly dropped: Buffer[] = [];
  private pushListeners: Array<(p: OriginalPacket) => void> = [];

  private constructor(private readonly socket: tls.TLSSocket) {}

  /** `tlsOptions` narrows the handshake to what the original's JSSE offered (legacy TLS profile). */
  static async connect(
    host: string,
    port: number,
    timeoutMs = 20_000,
    tlsOptions: tls.ConnectionOptions = {},
  ): Promise<OriginalClient> {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ...tlsOptions });
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", () => resolve());
      socket.once("error", reject);
    });
    const c = new OriginalClient(socket);
    await c.handshake(timeoutMs);
    socket.on("data", (chunk: Buffer) => c.onData(chunk));
    if (c.buffer.length) c.onData(Buffer.alloc(0));
    return c;
  }

  /** `OpenGroove` LF; read the server's line (up to 30 bytes, to CR or LF); `c`; read until `c` (5 bytes at most). */
  private async handshake(timeoutMs: number): Promise<void> {
    const bytes: number[] = [];
    const deadline = Date.now() + timeoutMs;
    let readPos = 0;
    let wake: (() => void) | undefined;
    let closed = false;
    const collect = (chunk: Buffer) => {
      bytes.push(...chunk);
      wake?.();
    };
    const onClose = () => {
      closed = true;
      wake?.();
    };
    this.socket.on("data", collect);
    this.socket.on("close", onClose);
    const readByte = async (): Promise<number> => {
      while (readPos >= bytes.length) {
        if (closed) throw new Error("closed during the handshake");
        if (Date.now() > deadline) throw new Error("handshake timed out");
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
      return bytes[readPos++]!;
    };
    this.socket.write("OpenGroove\n");
    let line = "";
    for (let i = 0; i < 30; i++) {
      const b = await readByte();
      line += String.fromCharCode(b);
      if ((b === 0x0d || b === 0x0a) && i !== 0) break;
      if (i === 29) throw new Error("too much first initialization data sent by the server");
    }
    if (line.trim().toLowerCase() !== "opengrooveserver")
      throw new Error(`invalid initial response ${JSON.stringify(line)}`);
    this.socket.write("c");
    for (let i = 0; ; i++) {
      if ((await readByte()) === 0x63) break;
      if (i === 4) throw new Error("no terminating 'c' at end of handshake");
    }
    // Whatever followed the server's `c` is the start of the packet stream.
    this.socket.off("data", collect);
    this.socket.off("close", onClose);
    this.buffer = Buffer.from(bytes.slice(readPos));
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const length = this.buffer.readInt32BE(0);
      // The original read at most 65535 bytes per packet (DatagramUtils.read(in, 65535)).
      if (length > 65535) throw new Error(`packet of ${length} bytes is larger than the original's 65535`);
      if (this.buffer.length < 4 + length) return;
      const packet = this.buffer.subarray(4, 4 + length);
      this.buffer = this.buffer.subarray(4 + length);
      this.parse(Buffer.from(packet));
    }
  }

  /** The original client's reply parser. */
  private parse(packet: Buffer): void {
    const first128 = packet.subarray(0, Math.min(128, packet.length)).toString("latin1");
    const tokens = splitLimit(first128, " ", 4);
    if (tokens.length < 4) {
      this.dropped.push(packet);
      return;
    }
    const [id, command, status] = tokens as [string, string, string];
    const start = id.length + command.length + status.length + 3;
    const p: OriginalPacket = { id, command, status, data: packet.subarray(start) };
    this.received.push(p);
    const w = this.waiters.get(id);
    if (w) {
      this.waiters.delete(id);
      w(p);
    }
    for (const l of this.pushListeners) l(p);
  }

  /** The exact bytes the original put in a packet for this command and contents. */
  static requestBytes(id: string, command: string, contents: Buffer | string = ""): Buffer {
    return Buffer.concat([Buffer.from(`${id} ${command} `), Buffer.from(contents)]);
  }

  /** Sends a request (the original's `query`) and waits for the reply with its id. */
  query(
    command: string,
    contents: Buffer | string = "",
    timeoutMs = 20_000,
    id = `p${this.nextId++}`,
  ): Promise<OriginalPacket> {
    const payload = OriginalClient.requestBytes(id, command, contents);
    const frame = Buffer.alloc(4);
    frame.writeInt32BE(payload.length, 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`no reply to ${command} (${id}) within ${timeoutMs} ms; dropped: ${this.dropped.length}`));
      }, timeoutMs);
      this.waiters.set(id, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
      this.socket.write(Buffer.concat([frame, payload]));
    });
  }

  /** The next packet (a push) whose command is `command`, as the original's listeners saw it. */
  nextPush(command: string, timeoutMs = 20_000): Promise<OriginalPacket> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${command} push within ${timeoutMs} ms`)), timeoutMs);
      const l = (p: OriginalPacket) => {
        if (p.command.toLowerCase() !== command) return;
        clearTimeout(timer);
        this.pushListeners = this.pushListeners.filter((x) => x !== l);
        resolve(p);
      };
      this.pushListeners.push(l);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Java's String.split(regex, limit) for a one-character literal separator and a positive limit. */
function splitLimit(text: string, sep: string, limit: number): string[] {
  const out: string[] = [];
  let at = 0;
  while (out.length < limit - 1) {
    const i = text.indexOf(sep, at);
    if (i < 0) break;
    out.push(text.slice(at, i));
    at = i + 1;
  }
  out.push(text.slice(at));
  return out;
}

/** The original's receiveimessage listener: the first 128 bytes of the data split into 4 on spaces. */
export function parseReceiveImessage(data: Buffer): { id: string; from: string; computer: string; body: Buffer } {
  const tokens = splitLimit(data.subarray(0, Math.min(128, data.length)).toString("latin1"), " ", 4);
  const [id = "", from = "", computer = ""] = tokens;
  return { id, from, computer, body: data.subarray(id.length + from.length + computer.length + 3) };
}
