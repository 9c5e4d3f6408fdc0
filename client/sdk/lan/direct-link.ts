// The dialing side of a direct link (docs/clients.md §6): connects to a LAN peer's 63748
// listener, runs the handshake (the peer must prove the key the realm publishes for the
// computer we meant to reach), then sends sealed requests and matches the replies in order.
import net from "node:net";
import { EventEmitter } from "node:events";
import {
  FrameParser,
  ServerGreetingParser,
  decodeReply,
  encodeClientGreeting,
  encodeFrame,
  encodeRequest,
  splitExactFields,
  textLines,
  type StatusWord,
} from "../../../lib/protocol/index.ts";
import { fromBase64Url, toBase64Url } from "../crypto/bytes.ts";
import type { ComputerKeys } from "../crypto/keys-core.ts";
import {
  DIRECT_VERSION,
  linkCipher,
  newEphemeral,
  signTranscript,
  transcript,
  verifyTranscript,
  type LinkCipher,
} from "./direct-crypto.ts";
import { DIRECT_MAX_PACKET_BYTES } from "./direct-server.ts";
import type { PeerKeyCache } from "./peer-keys.ts";

export class DirectLinkError extends Error {
  constructor(
    readonly status: StatusWord | "DISCONNECTED" | "TIMEOUT",
    reason: string,
  ) {
    super(`${status} ${reason}`);
    this.name = "DirectLinkError";
  }
}

export interface DirectConnectOptions {
  host: string;
  port: number;
  me: { userId: string; computer: string };
  keys: ComputerKeys;
  /** The computer we mean to reach: it must sign with the key the realm publishes for it. */
  expect: { userId: string; computer: string };
  peerKeys: PeerKeyCache;
  /** Connect + handshake, and each request (default 5 s). */
  timeoutMs?: number;
  /** The local address to connect from (a machine with several). */
  localAddress?: string;
}

interface Reply {
  status: StatusWord;
  data: Buffer;
}

type Waiter = { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** Events: "close" (DirectLinkError). */
export class DirectLink extends EventEmitter {
  private waiters = new Map<string, Waiter>();
  private nextId = 1;
  closed = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly cipher: LinkCipher,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  static connect(o: DirectConnectOptions): Promise<DirectLink> {
    const timeoutMs = o.timeoutMs ?? 5_000;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: o.host, port: o.port, localAddress: o.localAddress });
      socket.setNoDelay(true);
      const greeting = new ServerGreetingParser();
      const frames = new FrameParser({ maxPacketBytes: DIRECT_MAX_PACKET_BYTES });
      const eph = newEphemeral();
      let stage: "greeting" | "hello" | "auth" | "open" = "greeting";
      let link: DirectLink | undefined;
      let t: Uint8Array | undefined;
      let cipher: LinkCipher | undefined;
      const send = (p: Uint8Array) => socket.write(encodeFrame(p, DIRECT_MAX_PACKET_BYTES));
      const fail = (e: DirectLinkError) => {
        clearTimeout(timer);
        socket.destroy();
        if (link) link.fail(e);
        else reject(e);
      };
      const timer = setTimeout(
        () => fail(new DirectLinkError("TIMEOUT", `no handshake from ${o.host}:${o.port} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.once("connect", () => socket.write(encodeClientGreeting(["direct", DIRECT_VERSION])));

      const onHandshake = async (payload: Uint8Array) => {
        const d = decodeReply(payload);
        if (!d.ok) return fail(new DirectLinkError("BADPACKET", d.error.reason));
        const r = d.value;
        if (r.status !== "OK") return fail(new DirectLinkError(r.status, new TextDecoder().decode(r.data)));
        if (stage === "hello" && r.command === "hello") {
          const f = splitExactFields(r.data, 5);
          if (!f.ok) return fail(new DirectLinkError("BADPACKET", f.error.reason));
          const [userId, computer, ephText, nonceText, sigText] = f.value;
          const peerEph = fromBase64Url(ephText);
          const peerNonce = fromBase64Url(nonceText);
          const sig = fromBase64Url(sigText);
          if (userId.toLowerCase() !== o.expect.userId.toLowerCase() || computer !== o.expect.computer)
            return fail(new DirectLinkError("BADAUTH", `the peer says it is computer "${computer}" of ${userId}`));
          if (!peerEph || peerEph.length !== 32 || !peerNonce || peerNonce.length !== 32 || !sig)
            return fail(new DirectLinkError("BADPACKET", "bad hello reply"));
          t = transcript(
            { userId: o.me.userId, computer: o.me.computer, eph: eph.pub, nonce: eph.nonce },
            { userId: o.expect.userId, computer: o.expect.computer, eph: peerEph, nonce: peerNonce },
          );
          stage = "auth";
          const published = await o.peerKeys.get(o.expect.userId, o.expect.computer);
          if (!published) return fail(new DirectLinkError("BADAUTH", "the realm publishes no key for that computer"));
          if (!verifyTranscript(published.ed25519, "server", t, sig))
            return fail(new DirectLinkError("BADAUTH", "the peer did not sign with the key the realm publishes"));
          try {
            cipher = linkCipher("client", eph.priv, peerEph, t);
          } catch {
            return fail(new DirectLinkError("BADAUTH", "unusable ephemeral key"));
          }
          send(encodeRequest("h2", "auth", [toBase64Url(signTranscript(o.keys, "client", t))]));
          return;
        }
        if (stage === "auth" && r.command === "auth" && cipher) {
          stage = "open";
          clearTimeout(timer);
          link = new DirectLink(socket, cipher, timeoutMs);
          resolve(link);
          return;
        }
        fail(new DirectLinkError("BADPACKET", `unexpected ${r.command} reply`));
      };

      // Handshake replies are handled one at a time (the key lookup is asynchronous).
      let chain = Promise.resolve();
      socket.on("data", (chunk: Buffer) => {
        if (stage === "greeting") {
          for (const ev of greeting.feed(chunk)) {
            if (ev.type === "error") return fail(new DirectLinkError(ev.error.status, ev.error.reason));
            if (ev.type === "done") {
              stage = "hello";
              send(
                encodeRequest("h1", "hello", [
                  DIRECT_VERSION,
                  o.me.userId,
                  o.me.computer,
                  toBase64Url(eph.pub),
                  toBase64Url(eph.nonce),
                  o.expect.userId,
                  o.expect.computer,
                ]),
              );
              if (ev.leftover.length) socket.emit("data", Buffer.from(ev.leftover));
              return;
            }
          }
          return;
        }
        const r = frames.push(chunk);
        for (const f of r.frames) {
          chain = chain.then(() => (stage === "open" && link ? link.onSealed(f) : onHandshake(f)));
        }
        if (r.error) chain = chain.then(() => fail(new DirectLinkError(r.error!.status, r.error!.reason)));
      });
      socket.on("error", (e) => fail(new DirectLinkError("DISCONNECTED", e.message)));
      socket.on("close", () => fail(new DirectLinkError("DISCONNECTED", "the peer closed the link")));
    });
  }

  private onSealed(sealed: Uint8Array): void {
    const plain = this.cipher.open(sealed);
    if (!plain) return this.fail(new DirectLinkError("BADPACKET", "a packet failed authentication"));
    const d = decodeReply(plain);
    if (!d.ok) return this.fail(new DirectLinkError("BADPACKET", d.error.reason));
    const w = this.waiters.get(d.value.id);
    if (!w) return;
    this.waiters.delete(d.value.id);
    clearTimeout(w.timer);
    w.resolve({ status: d.value.status, data: Buffer.from(d.value.data) });
  }

  /** Sends a request; resolves with the reply whatever its status; rejects when the link fails or times out. */
  request(command: string, args?: Uint8Array | readonly string[]): Promise<Reply> {
    if (this.closed) return Promise.reject(new DirectLinkError("DISCONNECTED", "link closed"));
    const id = `d${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // No reply in time: the link is not trusted any more (it may be cut).
        this.fail(new DirectLinkError("TIMEOUT", `no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiters.set(id, { resolve, reject, timer });
      this.socket.write(encodeFrame(this.cipher.seal(encodeRequest(id, command, args)), DIRECT_MAX_PACKET_BYTES));
    });
  }

  private fail(e: DirectLinkError): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    for (const [, w] of this.waiters) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.waiters.clear();
    this.emit("close", e);
  }

  close(): void {
    this.fail(new DirectLinkError("DISCONNECTED", "closed by this side"));
  }
}

/** The text of a reply's data (one line for non-OK replies). */
export function replyText(r: { data: Uint8Array }): string {
  return textLines(new TextDecoder().decode(r.data)).join(" ");
}
