// TLS on the realm daemon's HTTP/WebSocket port, on the same port as plain HTTP: the first byte
// a client sends tells them apart (0x16 opens a TLS handshake record; an HTTP request starts
// with a letter), so `wss://host:63780/ws/<realm>` and `ws://` (loopback tools, a TLS proxy in
// front) both work without a second port. Certificates: the realms' own (chosen by SNI, the
// first served realm's for clients that send none; a rotation is picked up on the next
// connection), or one certificate from files (OPENGROOVE_REALM_HTTP_TLS_CERT/KEY, e.g. one a
// browser trusts), or none (OPENGROOVE_REALM_HTTP_TLS=off).
import fs from "node:fs";
import type net from "node:net";
import tls from "node:tls";
import type { RealmDaemon } from "./daemon.ts";

export type HttpTlsConfig = { mode: "realm" } | { mode: "off" } | { mode: "files"; certFile: string; keyFile: string };

/** The first byte of a TLS record carrying a handshake message (a ClientHello). */
const TLS_HANDSHAKE = 0x16;

export interface HttpTls {
  /**
   * Waits for the socket's first bytes (within the admission deadline already running on it),
   * puts them back, and hands the socket to `plain` or, decrypted, to `secure`.
   */
  route(socket: net.Socket, plain: (s: net.Socket) => void): void;
}

export function httpTls(d: RealmDaemon, cfg: HttpTlsConfig, secure: (s: tls.TLSSocket) => void): HttpTls | undefined {
  if (cfg.mode === "off") return undefined;
  const { server, refresh } =
    cfg.mode === "files"
      ? {
          server: tls.createServer(
            {
              cert: fs.readFileSync(cfg.certFile),
              key: fs.readFileSync(cfg.keyFile),
              minVersion: "TLSv1.2",
              handshakeTimeout: d.config.limits.handshakeTimeoutMs,
            },
            secure,
          ),
          refresh: () => undefined,
        }
      : realmCertServer(d, secure);
  server.on("tlsClientError", () => d.metrics.errors.inc(1, { command: "http-tls" }));
  return {
    route(socket, plain) {
      socket.once("data", (first: Buffer) => {
        socket.pause();
        // Put the bytes back: the HTTP parser, or the TLS layer (which reads what the socket
        // already buffered when it wraps it), sees the stream from its first byte.
        socket.unshift(first);
        if (first[0] !== TLS_HANDSHAKE) {
          plain(socket);
          socket.resume();
          return;
        }
        refresh();
        server.emit("connection", socket);
      });
    },
  };
}

/** A TLS server serving each realm's certificate by SNI (contexts cached by certificate fingerprint). */
function realmCertServer(
  d: RealmDaemon,
  onSecure: (s: tls.TLSSocket) => void,
): { server: tls.Server; refresh(): void } {
  const contexts = new Map<string, tls.SecureContext>();
  const contextFor = (realmId: string): tls.SecureContext | undefined => {
    const k = d.listeners.keyFor(realmId);
    if (!k) return undefined;
    let c = contexts.get(k.tlsFingerprint);
    if (!c) {
      c = tls.createSecureContext({ key: k.privateKeyPem, cert: k.certPem, minVersion: "TLSv1.2" });
      contexts.set(k.tlsFingerprint, c);
    }
    return c;
  };
  const active = () => d.listRealms().filter((r) => r.status === "ACTIVE" && d.listeners.keyFor(r.id));
  let defaultFingerprint = "";
  const server = tls.createServer(
    {
      minVersion: "TLSv1.2",
      handshakeTimeout: d.config.limits.handshakeTimeoutMs,
      SNICallback(name, cb) {
        const want = name.toLowerCase();
        const realms = active();
        const r = realms.find((x) => x.host.toLowerCase() === want) ?? realms[0];
        cb(null, r && contextFor(r.id));
      },
    },
    onSecure,
  );
  // Clients without SNI (an address instead of a name) get the first served realm's certificate;
  // checked before each handshake, so a rotated or newly served realm is picked up.
  const refresh = () => {
    const first = active()[0];
    const k = first && d.listeners.keyFor(first.id);
    if (k && k.tlsFingerprint !== defaultFingerprint) {
      server.setSecureContext({ key: k.privateKeyPem, cert: k.certPem, minVersion: "TLSv1.2" });
      defaultFingerprint = k.tlsFingerprint;
    }
  };
  return { server, refresh };
}
