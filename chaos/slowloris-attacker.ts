// The slowloris attacker of chaos/slowloris.ts, in its own process (forked) so its thousand
// sockets never share an event loop with the clients being measured. Holds `count` sockets to
// the realm port, spread over several loopback source addresses, in four kinds:
//   tls-silent       TCP connected, never a byte (no ClientHello)
//   tls-trickle      a real ClientHello, one byte per second
//   greeting-silent  TLS handshake done, then nothing (no OpenGroove greeting)
//   greeting-trickle TLS done, then the greeting one byte per second, never its newline
// A socket the server closes is opened again. Reports how long the server let each kind live.
import net from "node:net";
import tls from "node:tls";

const KINDS = ["tls-silent", "tls-trickle", "greeting-silent", "greeting-trickle"] as const;
type Kind = (typeof KINDS)[number];
type Msg = { op: "start"; port: number; count: number; addresses: string[] } | { op: "stats" } | { op: "stop" };

/** The first flight of a real TLS client, captured from a connection to a local listener. */
function captureClientHello(): Promise<Buffer> {
  return new Promise((resolve) => {
    const srv = net.createServer((s) =>
      s.once("data", (d: Buffer) => {
        resolve(d);
        s.destroy();
        srv.close();
      }),
    );
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }).on("error", () => undefined);
    });
  });
}

const hello = await captureClientHello();
const greeting = Buffer.from("OpenGroove plain");
let running = false;
const live = new Set<net.Socket>();
const lifetimes: Record<Kind, number[]> = {
  "tls-silent": [],
  "tls-trickle": [],
  "greeting-silent": [],
  "greeting-trickle": [],
};
let opened = 0;
let refused = 0;

function open(port: number, kind: Kind, localAddress: string): void {
  if (!running) return;
  let t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const trickle = (s: net.Socket, bytes: Buffer) => {
    let i = 0;
    timer = setInterval(() => {
      if (i < bytes.length && !s.destroyed) s.write(bytes.subarray(i, ++i));
    }, 1000);
  };
  const tlsKind = kind.startsWith("greeting");
  const s: net.Socket = tlsKind
    ? tls.connect({ host: "127.0.0.1", port, localAddress, rejectUnauthorized: false } as tls.ConnectionOptions)
    : net.connect({ host: "127.0.0.1", port, localAddress });
  opened++;
  live.add(s);
  let established = false;
  // Lifetimes count from the TCP connection (what the server's deadline counts from).
  s.once("connect", () => (t0 = Date.now()));
  s.once(tlsKind ? "secureConnect" : "connect", () => {
    established = true;
    if (kind === "tls-trickle") trickle(s, hello);
    if (kind === "greeting-trickle") trickle(s, greeting);
  });
  s.on("data", () => undefined);
  s.on("error", () => undefined);
  s.on("close", () => {
    clearInterval(timer);
    live.delete(s);
    if (!running) return;
    if (established) lifetimes[kind].push((Date.now() - t0) / 1000);
    else refused++;
    setTimeout(() => open(port, kind, localAddress), established ? 10 : 200);
  });
}

process.on("message", (m: Msg) => {
  if (m.op === "start") {
    running = true;
    for (let i = 0; i < m.count; i++) open(m.port, KINDS[i % KINDS.length], m.addresses[i % m.addresses.length]);
  } else if (m.op === "stats") {
    process.send!({ op: "stats", held: live.size, opened, refused, lifetimes });
  } else if (m.op === "stop") {
    running = false;
    for (const s of live) s.destroy();
    process.send!({ op: "stopped" });
  }
});
process.on("disconnect", () => process.exit(0));
process.send!({ op: "ready" });
