// Two network namespaces for LAN tests, made and removed by the test itself (needs root and
// iproute2). Topology, with a random 10.x.y.0/24 that is unused on this machine:
//
//   ns A  lan0 10.x.y.1/26 ──── veth (the LAN, multicast routed on it) ──── lan0 10.x.y.2/26  ns B
//   ns A  up0  10.x.y.66/30 ─ veth ─ 10.x.y.65 (this namespace: the realm listens here)
//   ns B  up0  10.x.y.70/30 ─ veth ─ 10.x.y.69 (this namespace), B's default route: to reach .65
//
// So the realm stays reachable from both when the LAN link is cut (`cutLan`).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import readline from "node:readline";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Why LAN tests cannot run here, or undefined. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0)
    return "the LAN test makes network namespaces and veth links: it must run as root (CI runs as root)";
  try {
    ip("-V");
  } catch {
    return "the LAN test needs the `ip` command: apt-get install -y iproute2";
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface LanLab {
  nsA: string;
  nsB: string;
  /** LAN addresses of A and B. */
  lanA: string;
  lanB: string;
  /** Where the realm listens (this namespace's end of A's uplink; B routes to it). */
  realmAddress: string;
  /** Takes B's LAN interface down: direct links and multicast stop, the realm stays reachable. */
  cutLan(): void;
  destroy(): void;
}

export function makeLanLab(): LanLab {
  // Namespaces left by a run that was killed before its cleanup (its process is gone).
  for (const line of ip("netns", "list").split("\n")) {
    const m = /^(og-lan-(\d+)-[ab])\b/.exec(line);
    if (m && !alive(Number(m[2]))) ip("netns", "del", m[1]);
  }
  const routes = ip("-4", "addr") + ip("-4", "route");
  let net = "";
  for (let i = 0; i < 50 && !net; i++) {
    const candidate = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}`;
    if (!routes.includes(`${candidate}.`)) net = candidate;
  }
  if (!net) throw new Error("no free 10.x.y.0/24 for the LAN test");
  const id = String(process.pid % 1_000_000);
  const nsA = `og-lan-${process.pid}-a`;
  const nsB = `og-lan-${process.pid}-b`;
  const lab: LanLab = {
    nsA,
    nsB,
    lanA: `${net}.1`,
    lanB: `${net}.2`,
    realmAddress: `${net}.65`,
    cutLan: () => void ip("-n", nsB, "link", "set", "lan0", "down"),
    destroy() {
      // Deleting a namespace deletes its veth ends, and with them the peers in this namespace.
      for (const ns of [nsA, nsB]) {
        try {
          ip("netns", "del", ns);
        } catch {
          /* not made */
        }
      }
      for (const dev of [`ogua${id}`, `ogub${id}`, `ogla${id}`]) {
        try {
          ip("link", "del", dev);
        } catch {
          /* gone with its namespace */
        }
      }
    },
  };
  try {
    ip("netns", "add", nsA);
    ip("netns", "add", nsB);
    // The LAN: one veth pair between the two namespaces.
    ip("link", "add", `ogla${id}`, "type", "veth", "peer", "name", `oglb${id}`);
    ip("link", "set", `ogla${id}`, "netns", nsA);
    ip("link", "set", `oglb${id}`, "netns", nsB);
    ip("-n", nsA, "link", "set", `ogla${id}`, "name", "lan0");
    ip("-n", nsB, "link", "set", `oglb${id}`, "name", "lan0");
    // Uplinks to this namespace (the realm).
    for (const [side, ns, base] of [
      ["a", nsA, 64],
      ["b", nsB, 68],
    ] as const) {
      ip("link", "add", `ogu${side}${id}`, "type", "veth", "peer", "name", `ogv${side}${id}`);
      ip("link", "set", `ogv${side}${id}`, "netns", ns);
      ip("-n", ns, "link", "set", `ogv${side}${id}`, "name", "up0");
      ip("addr", "add", `${net}.${base + 1}/30`, "dev", `ogu${side}${id}`);
      ip("link", "set", `ogu${side}${id}`, "up");
      ip("-n", ns, "addr", "add", `${net}.${base + 2}/30`, "dev", "up0");
      ip("-n", ns, "link", "set", "up0", "up");
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "route", "add", "default", "via", `${net}.${base + 1}`);
    }
    ip("-n", nsA, "addr", "add", `${lab.lanA}/26`, "dev", "lan0");
    ip("-n", nsB, "addr", "add", `${lab.lanB}/26`, "dev", "lan0");
    for (const ns of [nsA, nsB]) {
      ip("-n", ns, "link", "set", "lan0", "up");
      // Multicast leaves on the LAN, not on the default route's uplink.
      ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", "lan0");
    }
  } catch (e) {
    lab.destroy();
    throw e;
  }
  return lab;
}

/** A lan-agent.ts process in a namespace, driven by JSON lines. */
export class LanAgent {
  readonly events: Array<Record<string, unknown>> = [];
  private waiters: Array<() => void> = [];
  private tags = 0;
  readonly proc: ChildProcess;
  stderr = "";

  constructor(ns: string, config: Record<string, unknown>) {
    this.proc = spawn(
      "ip",
      ["netns", "exec", ns, process.execPath, "--import", "tsx", path.join(root, "tests/helpers/lan-agent.ts")],
      { cwd: root, env: { ...process.env, OG_LAN_AGENT: JSON.stringify(config) }, stdio: ["pipe", "pipe", "pipe"] },
    );
    readline.createInterface({ input: this.proc.stdout! }).on("line", (l) => {
      try {
        this.events.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        this.stderr += `${l}\n`;
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.proc.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.proc.on("exit", () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** The first event (from the start) matching `pred`; fails after `timeoutMs` with the agent's stderr. */
  async waitFor(pred: (e: Record<string, unknown>) => boolean, what: string, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      if (this.proc.exitCode !== null || Date.now() > deadline)
        throw new Error(
          `agent: no ${what} within ${timeoutMs} ms (exit ${this.proc.exitCode}); stderr:\n${this.stderr}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(10, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async command(cmd: Record<string, string>): Promise<Record<string, unknown>> {
    const tag = String(++this.tags);
    this.proc.stdin!.write(`${JSON.stringify({ ...cmd, tag })}\n`);
    const r = await this.waitFor((e) => e.ev === "result" && e.tag === tag, `reply to ${cmd.cmd}`, 20_000);
    if (!r.ok) throw new Error(`agent ${cmd.cmd}: ${String(r.error)}`);
    return r;
  }

  count(pred: (e: Record<string, unknown>) => boolean): number {
    return this.events.filter(pred).length;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
  }
}
