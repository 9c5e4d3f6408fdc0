// PROXY protocol v2 in front of a realm listener (opt-in per port, docs/scaling.md): a
// connection from a configured balancer must begin with a v2 header, which gives the real
// client address (for the per-address cap, registration and login limits, logs); a connection
// from anywhere else is served as it is, unless it begins with a PROXY header (refused: only a
// balancer may speak for another address). Runs on the raw TCP socket, before any TLS byte; what
// follows the header is handed on untouched.
import net from "node:net";
import { parseProxyV2, PROXY_V2_MAX_BYTES, type ProxyEndpoint } from "./proxy-v2.ts";
import type { AddressList } from "./cidr.ts";

export interface ProxyAdmission {
  balancers: AddressList;
  timeoutMs: number;
  /** The header was read (or none was due): `real` is the client's address when the balancer sent one. */
  onReady(socket: net.Socket, real: ProxyEndpoint | undefined): void;
  onRefused(socket: net.Socket, reason: string): void;
}

const CR = 0x0d;

export function admitProxied(socket: net.Socket, opts: ProxyAdmission): void {
  const fromBalancer = opts.balancers.has(socket.remoteAddress);
  let buffered: Buffer = Buffer.alloc(0);
  const timer = setTimeout(
    () => refuse(fromBalancer ? "no PROXY header from the balancer in time" : "no data in time"),
    opts.timeoutMs,
  );
  timer.unref();
  const done = () => {
    clearTimeout(timer);
    socket.off("data", onData);
    socket.pause();
  };
  const refuse = (reason: string) => {
    done();
    opts.onRefused(socket, reason);
    socket.destroy();
  };
  const ready = (rest: Buffer, real: ProxyEndpoint | undefined) => {
    done();
    if (rest.length) socket.unshift(rest);
    opts.onReady(socket, real);
  };
  const onData = (chunk: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    if (!fromBalancer) {
      // Neither a TLS record (0x16) nor a greeting ("OpenGroove") starts with CR; the v2 signature does.
      if (buffered[0] === CR) return refuse("PROXY header from an address that is not a configured balancer");
      return ready(buffered, undefined);
    }
    const r = parseProxyV2(buffered, PROXY_V2_MAX_BYTES);
    if (r.kind === "incomplete") return;
    if (r.kind === "error") return refuse(`the balancer did not send a valid PROXY v2 header: ${r.reason}`);
    ready(buffered.subarray(r.length), r.header.command === "proxy" ? r.header.source : undefined);
  };
  socket.on("error", () => undefined);
  socket.on("data", onData);
}

/** Client addresses given by PROXY headers, for servers that read the address per request (HTTP). */
const realClients = new WeakMap<net.Socket, ProxyEndpoint>();

/** The client's address: the one a balancer's PROXY header gave, else the socket's peer. */
export function clientAddress(socket: net.Socket): string {
  // A TLS socket made over an admitted raw socket (wss:// on the HTTP port) keeps it as _parent.
  const parent = (socket as net.Socket & { _parent?: net.Socket })._parent;
  const real = realClients.get(socket) ?? (parent ? realClients.get(parent) : undefined);
  return real?.address ?? socket.remoteAddress ?? "?";
}

export interface ProxiedFrontOptions {
  balancers: AddressList;
  timeoutMs: number;
  /** Counts the socket (lib/runtime/admission.ts) with the real address; false = refused (destroyed). */
  admit(socket: net.Socket, real: ProxyEndpoint | undefined): boolean;
  onRefused(socket: net.Socket, reason: string): void;
}

/**
 * A plain TCP front for a server that takes sockets through its 'connection' event (an
 * http.Server): the PROXY header is read first (admitProxied), the socket is admitted with the
 * real client address, then handed to `server`, which must not listen itself nor admit again.
 * Request handlers read the address with clientAddress(req.socket).
 */
export function proxiedFront(server: net.Server | ((s: net.Socket) => void), opts: ProxiedFrontOptions): net.Server {
  const deliver = typeof server === "function" ? server : (s: net.Socket) => server.emit("connection", s);
  return net.createServer((raw) =>
    admitProxied(raw, {
      balancers: opts.balancers,
      timeoutMs: opts.timeoutMs,
      onRefused: opts.onRefused,
      onReady(socket, real) {
        if (real) realClients.set(socket, real);
        if (!opts.admit(socket, real)) return;
        deliver(socket);
        // Paused once the header was read; what followed it is in the socket's buffer.
        socket.resume();
      },
    }),
  );
}
