// The direct-link listener on 63748/TCP (docs/clients.md §6): the realm protocol's greeting
// (`OpenGroove direct 1`) and packet framing, a mutual authentication with the computer keys
// checked against what the realm publishes, then sealed request/reply packets. Who may connect:
// any computer of the realm whose published key signs the handshake; what it may do is decided
// by the `onRequest` handler (lan-node.ts).
import net from "node:net";
import { EventEmitter } from "node:events";
import {
  ProtocolError,
  decodeRequest,
  encodeReply,
  splitExactFields,
  type PacketData,
  type StatusWord,
} from "../../../lib/protocol/index.ts";
import { acceptStream, type PacketSink, type StreamTransport } from "../../../lib/protocol/server-stream.ts";
import { Admission } from "../../../lib/runtime/admission.ts";
import { fromBase64Url, toBase64Url } from "../crypto/bytes.ts";
import type { ComputerKeys } from "../crypto/keys-core.ts";
import {
  DIRECT_VERSION,
  linkCipher,
  newEphemeral,
  signTranscript,
  transcript,
  verifyTranscript,
  type HelloFields,
  type LinkCipher,
} from "./direct-crypto.ts";
import type { PeerKeyCache } from "./peer-keys.ts";

export interface DirectPeer {
  userId: string;
  computer: string;
  /** "address:port" of the connection. */
  address: string;
}

export type DirectHandler = (
  peer: DirectPeer,
  command: string,
  args: Uint8Array,
) => Promise<{ status: StatusWord; data?: PacketData }>;

export interface DirectServerOptions {
  me: { userId: string; computer: string };
  keys: ComputerKeys;
  peerKeys: PeerKeyCache;
  onRequest: DirectHandler;
  host?: string;
  /** Default 63748; 0 for any free port. */
  port?: number;
  /** Open links in all (default 64) and from one address (default 8): admission as on every listener. */
  maxConnections?: number;
  maxConnectionsPerIp?: number;
  /** Greeting plus handshake, absolute from the accept (default 10 s). */
  handshakeTimeoutMs?: number;
  /** A linked peer that sends nothing for this long is closed (default 5 min, as on the realm port). */
  idleTimeoutMs?: number;
  /** Requests queued behind the running one before further ones are answered BUSY (default 64). */
  maxInFlight?: number;
  maxPacketBytes?: number;
}

/** Largest sealed packet: a 512 KiB workspace change, its fields and the 16-byte tag. */
export const DIRECT_MAX_PACKET_BYTES = 512 * 1024 + 4096;

/** Events: "link" (DirectPeer authenticated), "refused" ({ address, reason }). */
export class DirectServer extends EventEmitter {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** The same admission as the daemons' listeners (lib/runtime/admission.ts). */
  private readonly admission: Admission;

  constructor(private readonly opts: DirectServerOptions) {
    super();
    const limits = {
      maxConnections: opts.maxConnections ?? 64,
      maxConnectionsPerIp: opts.maxConnectionsPerIp ?? 8,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 10_000,
    };
    this.admission = new Admission(
      () => limits,
      (reason, ip) => this.emit("refused", { address: ip, reason }),
    );
  }

  get port(): number {
    const a = this.server?.address();
    return a && typeof a === "object" ? a.port : 0;
  }

  async start(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: this.opts.host ?? "0.0.0.0", port: this.opts.port ?? 63748 }, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: net.Socket): void {
    // Counted per address and in all from the accept; destroyed unless linked by the deadline.
    if (!this.admission.admit(socket)) return;
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    const timeout = this.opts.handshakeTimeoutMs ?? 10_000;
    acceptStream(socket, {
      maxPacketBytes: this.opts.maxPacketBytes ?? DIRECT_MAX_PACKET_BYTES,
      greetingTimeoutMs: timeout,
      maxWriteBufferBytes: 4 * 1024 * 1024,
      onGreeting: (words) =>
        words[0]?.toLowerCase() === "direct" && words[1] === DIRECT_VERSION
          ? null
          : new ProtocolError("BADGREETING", "this is a direct-link port: greet with OpenGroove direct 1"),
      onReady: (t) => new DirectSession(this, this.opts, t, () => this.admission.ready(socket)),
    });
  }

  /** @internal */
  refused(address: string, reason: string): void {
    this.emit("refused", { address, reason });
  }
}

/** One accepted connection: handshake, then sealed requests answered in order. */
class DirectSession implements PacketSink {
  private state: "hello" | "auth" | "checking" | "open" | "closed" = "hello";
  private client?: HelloFields;
  private t?: Uint8Array;
  private eph?: ReturnType<typeof newEphemeral>;
  private cipher?: LinkCipher;
  private peer?: DirectPeer;
  private chain: Promise<void> = Promise.resolve();
  /** Requests received and not answered yet (the running one included), and of those how many get BUSY. */
  private pending = 0;
  private busy = 0;
  private idleTimer?: NodeJS.Timeout;

  constructor(
    private readonly server: DirectServer,
    private readonly opts: DirectServerOptions,
    private readonly t2: StreamTransport,
    private readonly authenticated: () => void,
  ) {}

  private refuse(id: string, command: string, status: StatusWord, reason: string): void {
    this.server.refused(this.t2.remoteAddress, `${status} ${reason}`);
    this.t2.send(encodeReply(id, command, status, reason));
    this.state = "closed";
    this.t2.close();
  }

  onPacket(payload: Buffer): void {
    if (this.state === "closed") return;
    if (this.state === "open") return this.onSealed(payload);
    const d = decodeRequest(payload);
    if (!d.ok) return this.refuse("*", "error", "BADPACKET", d.error.reason);
    const { id, command, args } = d.value;
    if (this.state === "hello" && command === "hello") return this.onHello(id, args);
    if (this.state === "auth" && command === "auth") return void this.onAuth(id, args);
    this.refuse(id, command, "NOTALLOWED", "authenticate first (hello, then auth)");
  }

  private onHello(id: string, args: Uint8Array): void {
    const f = splitExactFields(args, 7);
    if (!f.ok) return this.refuse(id, "hello", "BADARGUMENTS", f.error.reason);
    const [version, userId, computer, ephText, nonceText, wantUser, wantComputer] = f.value;
    if (version !== DIRECT_VERSION) return this.refuse(id, "hello", "BADARGUMENTS", `unknown version ${version}`);
    const eph = fromBase64Url(ephText);
    const nonce = fromBase64Url(nonceText);
    if (!eph || eph.length !== 32 || !nonce || nonce.length !== 32 || !userId || !computer)
      return this.refuse(id, "hello", "BADARGUMENTS", "bad key, nonce, user or computer");
    const me = this.opts.me;
    if (wantUser.toLowerCase() !== me.userId.toLowerCase() || wantComputer !== me.computer)
      return this.refuse(id, "hello", "NOSUCHCOMPUTER", `this is computer "${me.computer}" of ${me.userId}`);
    this.client = { userId, computer, eph, nonce };
    this.eph = newEphemeral();
    const server: HelloFields = { userId: me.userId, computer: me.computer, eph: this.eph.pub, nonce: this.eph.nonce };
    this.t = transcript(this.client, server);
    const sig = signTranscript(this.opts.keys, "server", this.t);
    this.state = "auth";
    this.t2.send(
      encodeReply(id, "hello", "OK", [
        me.userId,
        me.computer,
        toBase64Url(this.eph.pub),
        toBase64Url(this.eph.nonce),
        toBase64Url(sig),
      ]),
    );
  }

  private async onAuth(id: string, args: Uint8Array): Promise<void> {
    this.state = "checking";
    const c = this.client!;
    const f = splitExactFields(args, 1);
    const sig = f.ok ? fromBase64Url(f.value[0]) : undefined;
    if (!sig) return this.refuse(id, "auth", "BADARGUMENTS", "bad signature field");
    const published = await this.opts.peerKeys.get(c.userId, c.computer);
    if (this.state !== "checking") return;
    if (!published)
      return this.refuse(
        id,
        "auth",
        "BADAUTH",
        `the realm publishes no key for computer "${c.computer}" of ${c.userId}`,
      );
    if (!verifyTranscript(published.ed25519, "client", this.t!, sig))
      return this.refuse(id, "auth", "BADAUTH", "the handshake is not signed by the key the realm publishes");
    try {
      this.cipher = linkCipher("server", this.eph!.priv, c.eph, this.t!);
    } catch {
      return this.refuse(id, "auth", "BADAUTH", "unusable ephemeral key");
    }
    this.peer = { userId: c.userId, computer: c.computer, address: this.t2.remoteAddress };
    this.state = "open";
    this.authenticated();
    this.touch();
    this.t2.send(encodeReply(id, "auth", "OK", []));
    this.server.emit("link", this.peer);
  }

  /** (Re)arms the idle deadline of a linked peer. */
  private touch(): void {
    clearTimeout(this.idleTimer);
    const ms = this.opts.idleTimeoutMs ?? 300_000;
    this.idleTimer = setTimeout(() => {
      this.server.refused(this.t2.remoteAddress, `TIMEOUT no packet for ${ms / 1000} s`);
      this.close();
    }, ms);
    this.idleTimer.unref();
  }

  private onSealed(sealed: Buffer): void {
    const plain = this.cipher!.open(sealed);
    if (!plain) {
      this.server.refused(this.t2.remoteAddress, "a packet failed authentication");
      return this.close();
    }
    const d = decodeRequest(plain);
    if (!d.ok) return this.close();
    this.touch();
    const { id, command, args } = d.value;
    const max = this.opts.maxInFlight ?? 64;
    // Answered in order: the replies' nonces follow the requests'. Past the cap a request is
    // answered BUSY in its turn (not run), so a pipelining peer cannot queue without bound.
    if (this.pending > max) {
      // BUSY replies wait their turn too; a peer that keeps pipelining past four times the cap
      // is not reading its replies at all: closed.
      if (++this.busy > 4 * max) {
        this.server.refused(this.t2.remoteAddress, `BUSY over ${4 * max} requests refused while waiting`);
        return this.close();
      }
      this.chain = this.chain.then(() => {
        this.busy--;
        if (this.state === "open")
          this.t2.send(
            this.cipher!.seal(
              encodeReply(id, command, "BUSY", `too many requests in flight (limit ${max}); wait for replies`),
            ),
          );
      });
      return;
    }
    this.pending++;
    this.chain = this.chain.then(async () => {
      let r: { status: StatusWord; data?: PacketData };
      try {
        r = await this.opts.onRequest(this.peer!, command, args);
      } catch (e) {
        r = { status: "FAIL", data: (e as Error).message.replace(/[\r\n]+/g, " ") };
      }
      this.pending--;
      if (this.state === "open") this.t2.send(this.cipher!.seal(encodeReply(id, command, r.status, r.data)));
    });
  }

  fail(error: ProtocolError): void {
    this.server.refused(this.t2.remoteAddress, `${error.status} ${error.reason}`);
    this.close();
  }

  close(): void {
    clearTimeout(this.idleTimer);
    if (this.state === "closed") return;
    this.state = "closed";
    this.t2.close();
  }
}
