// PROXY protocol v2 in front of a realm listener (opt-in per port, docs/scaling.md): a
// connection from a configured balancer must begin with a v2 header, which gives the real
// client address (for the per-address cap, registration and login limits, logs); a connection
// from anywhere else is served as it is, unless it begins with a PROXY header (refused: only a
// balancer may speak for another address). Runs on the raw TCP socket, before any TLS byte; what
// follows the header is handed on untouched.
import type net from "node:net";
import { parseProxyV2, PROXY_V2_MAX_BYTES, type ProxyEndpoint } from "../lib/net/proxy-v2.ts";
import type { AddressList } from "../lib/net/cidr.ts";

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
