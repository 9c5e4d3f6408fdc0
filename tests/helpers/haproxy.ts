// A real HAProxy (Debian's haproxy) in front of realm-daemon processes, configured like
// deploy/haproxy/haproxy.cfg: TCP mode, PROXY protocol v2 to the instances, health checks on
// /readyz, one shared frontend plus one frontend per instance (the address each instance
// advertises for switchserver). Ports are picked free at run time.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export function haproxyBinary(): string | undefined {
  const r = spawnSync("haproxy", ["-v"], { encoding: "utf8" });
  return r.status === 0 ? "haproxy" : undefined;
}

/** A port free on every one of `hosts` right now. */
export async function freePort(hosts: string[] = ["127.0.0.1"]): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, hosts[0], () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const freeEverywhere = await Promise.all(
      hosts.map(
        (host) =>
          new Promise<boolean>((resolve) => {
            const s = net.createServer();
            s.once("error", () => resolve(false));
            s.listen(port, host, () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (freeEverywhere.every(Boolean)) return port;
  }
}

export interface Backend {
  name: string;
  host: string;
  realmPort: number;
  httpPort: number;
  /** The frontend port dedicated to this instance (what it advertises). */
  directPort: number;
}

/**
 * `httpPort`: also a balanced frontend for the instances' HTTP/WebSocket port (TCP mode, PROXY v2;
 * the daemons then run with OPENGROOVE_REALM_HTTP_PROXY_PROTOCOL=true, so every health check to
 * that port sends a header too: check-send-proxy).
 */
export function renderConfig(o: {
  bind: string;
  port: number;
  statsPort: number;
  backends: Backend[];
  httpPort?: number;
}): string {
  const checkProxy = o.httpPort ? " check-send-proxy" : "";
  const lines = [
    "global",
    "  maxconn 4096",
    "defaults",
    "  mode tcp",
    // A refused connection (an instance just killed) is retried after min(timeout connect, 1 s),
    // on another server (redispatch on every retry): keep both short.
    "  timeout connect 250ms",
    "  timeout client 10m",
    "  timeout server 10m",
    "  timeout check 1s",
    "  retries 3",
    "  option redispatch 1",
    "listen stats",
    `  bind ${o.bind}:${o.statsPort}`,
    "  mode http",
    "  stats enable",
    "  stats uri /stats",
    "frontend realm",
    `  bind ${o.bind}:${o.port}`,
    "  default_backend realm",
    "backend realm",
    "  balance leastconn",
    "  option httpchk",
    "  http-check send meth GET uri /readyz",
    "  http-check expect status 200",
    "  default-server inter 200ms fall 1 rise 1 send-proxy-v2",
    ...o.backends.map(
      (b) => `  server ${b.name} ${b.host}:${b.realmPort} check addr ${b.host} port ${b.httpPort}${checkProxy}`,
    ),
  ];
  if (o.httpPort)
    lines.push(
      "frontend realm-http",
      `  bind ${o.bind}:${o.httpPort}`,
      "  default_backend realm-http",
      "backend realm-http",
      "  balance leastconn",
      "  option httpchk",
      "  http-check send meth GET uri /readyz",
      "  http-check expect status 200",
      "  default-server inter 200ms fall 1 rise 1 send-proxy-v2 check-send-proxy",
      ...o.backends.map((b) => `  server ${b.name} ${b.host}:${b.httpPort} check`),
    );
  for (const b of o.backends)
    lines.push(
      `frontend ${b.name}-direct`,
      `  bind ${o.bind}:${b.directPort}`,
      `  default_backend ${b.name}-direct`,
      `backend ${b.name}-direct`,
      `  server ${b.name} ${b.host}:${b.realmPort} send-proxy-v2`,
    );
  return lines.join("\n") + "\n";
}

export interface Haproxy {
  process: ChildProcess;
  statsUrl: string;
  /** Server name → status ("UP", "DOWN", ...) in the shared backend (or another one). */
  status(backend?: string): Promise<Map<string, string>>;
  stop(): Promise<void>;
}

export async function startHaproxy(config: string, statsPort: number): Promise<Haproxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "og-haproxy-"));
  const file = path.join(dir, "haproxy.cfg");
  fs.writeFileSync(file, config);
  const check = spawnSync("haproxy", ["-c", "-f", file], { encoding: "utf8" });
  if (check.status !== 0) throw new Error(`haproxy refused the generated config:\n${check.stdout}${check.stderr}`);
  let stderr = "";
  const child = spawn("haproxy", ["-db", "-f", file], { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const statsUrl = `http://127.0.0.1:${statsPort}/stats;csv`;
  const h: Haproxy = {
    process: child,
    statsUrl,
    async status(backend = "realm") {
      const text = await (await fetch(statsUrl)).text();
      const [head, ...rows] = text.trim().split("\n");
      const cols = head.replace(/^# /, "").split(",");
      const st = cols.indexOf("status");
      const out = new Map<string, string>();
      for (const r of rows) {
        const f = r.split(",");
        if (f[0] === backend && f[1] !== "FRONTEND" && f[1] !== "BACKEND") out.set(f[1], f[st]);
      }
      return out;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}): ${stderr}`);
    const up = await fetch(statsUrl).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return h;
    if (Date.now() > deadline) throw new Error(`haproxy did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
