// Connection admission, one module for every listener (realm TLS/TCP ports, the realm daemon's
// HTTP/WebSocket port, both management ports): a per-address cap and a global cap counted on the
// raw TCP socket from the moment it is accepted, and an absolute deadline for whatever comes
// before the peer is a real client (TLS handshake, HTTP upgrade request). A silent or trickling
// socket is destroyed at the deadline, so it cannot hold a slot; the byte budget of that phase is
// the listener's (greeting line, HTTP header size).
import type net from "node:net";

export interface AdmissionLimits {
  /** Open connections from one address. */
  maxConnectionsPerIp: number;
  /** Open connections in all (every listener sharing this admission). */
  maxConnections: number;
  /** From accept to `ready()`: a socket not ready by then is destroyed. Absolute. */
  handshakeTimeoutMs: number;
}

export type RefusalReason = "per-ip-cap" | "global-cap" | "handshake-timeout";

const keyOf = (s: net.Socket) => `${s.remoteAddress}|${s.remotePort}|${s.localPort}`;

export class Admission {
  private readonly perIp = new Map<string, number>();
  private readonly deadlines = new Map<string, NodeJS.Timeout>();
  private open = 0;

  constructor(
    private readonly limits: () => AdmissionLimits,
    private readonly onRefused: (reason: RefusalReason, ip: string) => void = () => undefined,
  ) {}

  /** Connections counted now (all listeners sharing this admission). */
  get size(): number {
    return this.open;
  }

  /** Open connections from one address. */
  countFor(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  /**
   * Call with the raw TCP socket as soon as it is accepted. Over a cap: the socket is destroyed
   * and false returned. Otherwise it is counted until it closes, and destroyed unless `ready()`
   * is called within the handshake deadline (pass `deadline: false` when the protocol's own
   * greeting timeout starts at once, as on plain TCP).
   */
  admit(socket: net.Socket, opts: { deadline?: boolean; ip?: string } = {}): boolean {
    const l = this.limits();
    // `ip`: the client's real address when a PROXY protocol header gave it (behind a balancer).
    const ip = opts.ip ?? socket.remoteAddress ?? "?";
    const n = this.countFor(ip);
    if (n >= l.maxConnectionsPerIp || this.open >= l.maxConnections) {
      this.onRefused(n >= l.maxConnectionsPerIp ? "per-ip-cap" : "global-cap", ip);
      socket.destroy();
      return false;
    }
    this.perIp.set(ip, n + 1);
    this.open++;
    const key = keyOf(socket);
    if (opts.deadline !== false) {
      // Never earlier than the limit; up to a quarter later at random, so that sockets accepted
      // together (a wave of hostile ones) are not all closed, and reopened, in the same instant.
      const timer = setTimeout(
        () => {
          this.deadlines.delete(key);
          this.onRefused("handshake-timeout", ip);
          socket.destroy();
        },
        l.handshakeTimeoutMs * (1 + Math.random() / 4),
      );
      timer.unref();
      this.deadlines.set(key, timer);
    }
    socket.once("close", () => {
      this.open--;
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, left);
      clearTimeout(this.deadlines.get(key));
      this.deadlines.delete(key);
    });
    return true;
  }

  /** The peer finished the pre-client phase (TLS handshake, WebSocket upgrade): no deadline any more. */
  ready(socket: net.Socket): void {
    const key = keyOf(socket);
    clearTimeout(this.deadlines.get(key));
    this.deadlines.delete(key);
  }
}
