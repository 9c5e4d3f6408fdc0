// A realm connection that follows the server: on `switchserver <host:port>` (a draining instance
// sending its clients to a live peer of the same realm) it lets the requests already sent finish,
// connects to the new address, authenticates again with the same fields, and carries on there;
// requests made meanwhile wait, and a request the draining server refused with BUSY (it never
// ran) is sent again on the new connection. Nothing is sent twice that the server executed, and
// callers see one connection throughout. With `reconnect`, a `shutdown` push or a lost connection
// (a killed instance) is followed the same way to the address first connected to (the balancer);
// requests in flight when a connection is lost fail (their outcome is unknown to the server's
// client), later ones go to the new connection.
import { EventEmitter } from "node:events";
import { openConnection, OpenGrooveError, type ConnectOptions, type RawConnection, type Reply } from "./connection.ts";

export interface FollowOptions {
  /** Also reconnect (to the first address) after `shutdown` or a lost connection. Default false. */
  reconnect?: boolean;
  /** How long one move may keep trying before the connection is reported lost. Default 30 s. */
  reconnectTimeoutMs?: number;
}

/** "host:port" or "[v6]:port"; undefined when it is neither. */
export function parseServerAddress(text: string): { host: string; port: number } | undefined {
  const m = /^\s*(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})\s*$/.exec(text.split("\n")[0] ?? "");
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? m[2], port };
}

export class FollowingConnection extends EventEmitter implements RawConnection {
  private current!: RawConnection;
  /** Fields of the last accepted `authenticate`, replayed on the next connection. */
  private auth?: Uint8Array | readonly string[];
  private moving?: Promise<void>;
  private failed?: OpenGrooveError;
  private closing = false;
  /** Connections this client is leaving (told to move, or lost): their BUSY means "not run, go on". */
  private readonly leaving = new WeakSet<RawConnection>();
  private readonly inflight = new Map<RawConnection, { n: number; wake: Array<() => void> }>();
  /** How many times this client moved to another connection (switchserver or reconnect). */
  moves = 0;

  constructor(
    first: RawConnection,
    private readonly opts: ConnectOptions & FollowOptions,
  ) {
    super();
    this.attach(first);
  }

  get closed(): boolean {
    return this.closing || !!this.failed;
  }

  get peerFingerprint(): string | undefined {
    return this.current.peerFingerprint;
  }

  get peerKeyFingerprint(): string | undefined {
    return this.current.peerKeyFingerprint;
  }

  private attach(c: RawConnection): void {
    this.current = c;
    this.inflight.set(c, { n: 0, wake: [] });
    c.on("notification", (event: string, r: Reply) => {
      if (event === "switchserver" && c === this.current && !this.closing) {
        const to = parseServerAddress(r.text);
        if (to) this.move(c, to, "switchserver");
      } else if (event === "shutdown" && c === this.current && this.opts.reconnect && !this.closing)
        this.move(c, undefined, "shutdown");
      this.emit("notification", event, r);
      // Not "error": an EventEmitter throws an "error" nobody listens to (the server's error push
      // reaches callers as "servererror", see connection.ts).
      if (event !== "error") this.emit(event, r);
    });
    c.on("servererror", (e: OpenGrooveError) => this.emit("servererror", e));
    c.on("close", (e: OpenGrooveError) => {
      // The connection this client left on purpose closes quietly.
      if (this.leaving.has(c) || c !== this.current) return;
      if (!this.closing && this.opts.reconnect) return this.move(c, undefined, "lost");
      this.emit("close", e);
      if (!this.closing) this.emit("lost", e);
    });
  }

  /** Leaves `from` for `to` (or the first address): wait for its replies, connect, authenticate, swap. */
  private move(from: RawConnection, to: { host: string; port: number } | undefined, why: string): void {
    if (this.moving || this.leaving.has(from)) return;
    this.leaving.add(from);
    this.moving = (async () => {
      await this.settled(from);
      const next = await this.connectSomewhere(to);
      if (this.closing) return next.close();
      this.attach(next);
      this.moves++;
      from.close();
      this.emit("moved", { why, host: to?.host ?? this.opts.host, port: to?.port ?? this.opts.port });
    })()
      .catch((e: unknown) => {
        this.failed =
          e instanceof OpenGrooveError
            ? e
            : new OpenGrooveError("DISCONNECTED", e instanceof Error ? e.message : String(e));
        from.close();
        this.emit("close", this.failed);
        this.emit("lost", this.failed);
      })
      .finally(() => (this.moving = undefined));
  }

  /** Resolves once every request sent on `c` has its reply (or `c` is closed). */
  private settled(c: RawConnection): Promise<void> {
    const f = this.inflight.get(c);
    if (!f || f.n === 0 || c.closed) return Promise.resolve();
    return new Promise((r) => f.wake.push(r));
  }

  private async connectSomewhere(to: { host: string; port: number } | undefined): Promise<RawConnection> {
    const deadline = Date.now() + (this.opts.reconnectTimeoutMs ?? 30_000);
    // The address given first, then the one this client started from (the balancer), in turn.
    const targets = [...(to ? [to] : []), { host: this.opts.host, port: this.opts.port }];
    let last: unknown;
    for (let attempt = 0; Date.now() < deadline && !this.closing; attempt++) {
      const t = targets[attempt % targets.length];
      try {
        const c = await openConnection({
          ...this.opts,
          ...t,
          timeoutMs: Math.min(this.opts.timeoutMs ?? 30_000, 10_000),
        });
        if (!this.auth) return c;
        const r = await c.request("authenticate", this.auth);
        if (r.status === "OK") return c;
        c.close();
        // A refused login will not get better by retrying (password changed, suspended).
        if (r.status !== "BUSY" && r.status !== "RATELIMITED" && r.status !== "INTERNALERROR")
          throw new OpenGrooveError(r.status, r.text, "authenticate");
        last = new OpenGrooveError(r.status, r.text, "authenticate");
      } catch (e) {
        if (e instanceof OpenGrooveError && e.command === "authenticate") throw e;
        last = e;
      }
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)));
    }
    throw last instanceof OpenGrooveError
      ? last
      : new OpenGrooveError("DISCONNECTED", `could not reconnect: ${last instanceof Error ? last.message : "closed"}`);
  }

  async request(command: string, args?: Uint8Array | readonly string[]): Promise<Reply> {
    for (;;) {
      if (this.moving) await this.moving;
      if (this.failed) throw new OpenGrooveError(this.failed.status, this.failed.reason, command);
      const c = this.current;
      const f = this.inflight.get(c)!;
      f.n++;
      let r: Reply;
      try {
        r = await c.request(command, args);
      } finally {
        if (--f.n === 0) for (const wake of f.wake.splice(0)) wake();
      }
      // Refused by a server that is draining: it did not run; send it where this client moved.
      if (r.status === "BUSY" && this.leaving.has(c)) continue;
      if (command === "authenticate" && r.status === "OK") this.auth = args;
      return r;
    }
  }

  close(): void {
    this.closing = true;
    this.current.close();
  }
}
