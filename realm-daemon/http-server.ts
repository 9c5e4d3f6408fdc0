// The realm daemon's HTTP port: /healthz, Prometheus /metrics, and the client protocol over
// WebSocket at /ws/<realm-slug> (one packet per binary message, no greeting).
import crypto from "node:crypto";
import http from "node:http";
import net from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { checkPayloadLength, ProtocolError } from "../lib/protocol/index.ts";
import { listenOrFail } from "../lib/runtime/daemon-lifecycle.ts";
import { AddressList } from "../lib/net/cidr.ts";
import { clientAddress, proxiedFront } from "../lib/net/proxy-admission.ts";
import { Connection, type Transport } from "./connection.ts";
import type { RealmDaemon } from "./daemon.ts";
import type { RealmInfo } from "./state.ts";
import { httpTls } from "./http-tls.ts";

/** Largest request head (request line + headers) accepted on the HTTP port before it is refused. */
export const HTTP_MAX_HEADER_BYTES = 8 * 1024;

export interface HttpHandle {
  address: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttp(d: RealmDaemon): Promise<HttpHandle> {
  const limits = d.config.limits;
  // The byte budget before a request is complete: its headers (HTTP_MAX_HEADER_BYTES).
  const server = http.createServer({ maxHeaderSize: HTTP_MAX_HEADER_BYTES }, (req, res) => {
    d.admission.ready(req.socket);
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/healthz" || url.pathname === "/readyz") {
      health(d, url.pathname === "/readyz", res);
      return;
    }
    if (url.pathname === "/metrics") {
      const refused = metricsRefusal(d, req);
      if (refused) {
        res.writeHead(401, { "content-type": "text/plain", "www-authenticate": 'Bearer realm="metrics"' });
        res.end(`${refused}\n`);
        return;
      }
      d.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": d.metrics.registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end("metrics unavailable\n");
        },
      );
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found: this is an OpenGroove realm daemon (try /healthz, /metrics or a WebSocket at /ws/<realm>)\n");
  });

  // Every TCP connection to this port goes through the daemon's admission (per-address and
  // global caps shared with the realm ports, and the absolute deadline until a request or
  // WebSocket upgrade has arrived: it covers a TLS handshake too), before a single byte is
  // parsed. With PROXY protocol on this port (OPENGROOVE_REALM_HTTP_PROXY_PROTOCOL), a front reads
  // the balancer's header first and admits the socket with the real client address
  // (lib/net/proxy-admission.ts). Then its first byte says TLS (wss://, https://) or plain HTTP
  // (realm-daemon/http-tls.ts).
  const tlsLayer = httpTls(d, d.config.httpTls ?? { mode: "realm" }, (s) => server.emit("connection", s));
  const toServer = (s: net.Socket) => {
    if (tlsLayer) tlsLayer.route(s, (plain) => server.emit("connection", plain));
    else server.emit("connection", s);
  };
  const proxy = d.config.proxyProtocol;
  const front = proxy?.http
    ? proxiedFront(toServer, {
        balancers: new AddressList(proxy.from),
        timeoutMs: limits.handshakeTimeoutMs,
        admit: (s, real) => d.admission.admit(s, { ip: real?.address }),
        onRefused: (s, reason) => {
          d.metrics.errors.inc(1, { command: "proxy-protocol" });
          d.log.warn({ port: "http", remote: `${s.remoteAddress}:${s.remotePort}` }, reason);
        },
      })
    : net.createServer((s) => {
        if (!d.admission.admit(s)) return;
        toServer(s);
      });
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPacketBytes });
  server.on("upgrade", (req, socket, head) => {
    d.admission.ready(req.socket);
    const m = /^\/ws\/([A-Za-z0-9_.:-]+)$/.exec(new URL(req.url ?? "/", "http://x").pathname);
    if (d.draining) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\nthis instance is draining\n");
      return;
    }
    const realm = m ? findRealm(d, m[1]) : undefined;
    if (!realm) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\nno such realm\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(d, ws, realm, clientAddress(req.socket)));
  });

  const port = await listenOrFail(
    front,
    d.config.ephemeralPorts ? 0 : d.config.httpPort,
    d.config.bindHost,
    "realm HTTP/WebSocket, OPENGROOVE_REALM_HTTP_PORT",
  );
  return {
    address: `http${tlsLayer ? "(s)" : ""}://${d.config.bindHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        front.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/**
 * /healthz (live: the process answers; 200 also while draining, so it is not killed early) and
 * /readyz (ready for new clients: database reachable, LISTEN connection up, not draining; 503
 * with the reasons otherwise). docs/scaling.md.
 */
function health(d: RealmDaemon, ready: boolean, res: http.ServerResponse): void {
  const listenErrors = [...d.listeners.listenErrors].map(([port, e]) => ({ port, ...e }));
  const body = { instance: d.instanceId, connections: d.connections.size, draining: d.draining, listenErrors };
  const send = (code: number, o: object) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(o));
  };
  if (!ready) return send(200, { status: d.draining ? "draining" : "ok", ...body });
  d.readiness().then(
    (r) => send(r.ready ? 200 : 503, { status: r.ready ? "ready" : "unavailable", reasons: r.reasons, ...body }),
    (e: unknown) => send(503, { status: "unavailable", reasons: [String(e)], ...body }),
  );
}

const LOOPBACK_PEER = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * /metrics is for the operator's scraper: with OPENGROOVE_METRICS_TOKEN it needs that bearer
 * token (compared in constant time), without one it answers loopback peers only. Null = allowed.
 */
function metricsRefusal(d: RealmDaemon, req: http.IncomingMessage): string | null {
  const token = d.config.metricsToken;
  if (!token)
    // The real client (behind a balancer, the PROXY header's address, never the balancer's own).
    return LOOPBACK_PEER.test(clientAddress(req.socket))
      ? null
      : "metrics are served to loopback clients only; set OPENGROOVE_METRICS_TOKEN to scrape from elsewhere";
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
  const given = Buffer.from(m?.[1] ?? "");
  const want = Buffer.from(token);
  return given.length === want.length && crypto.timingSafeEqual(given, want)
    ? null
    : "a bearer token is required (Authorization: Bearer <OPENGROOVE_METRICS_TOKEN>)";
}

function findRealm(d: RealmDaemon, slug: string): RealmInfo | undefined {
  const want = slug.toLowerCase();
  return d.listRealms().find((r) => r.status === "ACTIVE" && (r.slug === want || r.id.toLowerCase() === want));
}

function attach(d: RealmDaemon, ws: WebSocket, realm: RealmInfo, remote: string): void {
  const transport: Transport = {
    kind: "ws",
    remoteAddress: remote,
    send(payload) {
      if (ws.bufferedAmount > d.config.limits.maxWriteBufferBytes) return false;
      ws.send(payload, { binary: true });
      return true;
    },
    close() {
      ws.close(1000);
      setTimeout(() => ws.terminate(), 1000).unref();
    },
  };
  const conn = new Connection(d, realm, transport);
  ws.on("message", (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (!isBinary) return conn.fail(new ProtocolError("BADPACKET", "send packets as binary WebSocket messages"));
    const bad = checkPayloadLength(buf.length, d.config.limits.maxPacketBytes);
    if (bad) return conn.fail(bad);
    conn.onPacket(buf);
  });
  ws.on("close", () => conn.close("peer closed"));
  ws.on("error", () => conn.close("socket error"));
}
