// Summarises a V8 CPU profile (.cpuprofile): self time per function, top first, and the share
// of samples by where the code lives (our code, node internals, pg, the GC, idle).
import fs from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface Frame {
  frame: string;
  selfPct: number;
}

function where(url: string, fn: string): string {
  if (fn === "(idle)") return "idle";
  if (fn === "(garbage collector)") return "gc";
  if (fn === "(program)") return "program (native, incl. TLS and syscalls)";
  if (url.includes("/node_modules/pg")) return "pg driver";
  if (url.includes("/node_modules/")) return "other packages";
  if (url.startsWith("node:") || url === "") return "node internals";
  return "opengroove";
}

export function summariseProfile(file: string, top = 15): { frames: Frame[]; byArea: Frame[] } {
  const p = JSON.parse(fs.readFileSync(file, "utf8")) as { nodes: Node[] };
  const self = new Map<string, number>();
  const area = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    total += hits;
    const { functionName, url, lineNumber } = n.callFrame;
    const short = url
      .replace(/^.*\/(node_modules\/)/, "$1")
      .replace(/^file:\/\/.*?\/(lib|realm-daemon|client)\//, "$1/");
    const key = `${functionName || "(anonymous)"} ${short}${url ? `:${lineNumber + 1}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + hits);
    const a = where(url, functionName);
    area.set(a, (area.get(a) ?? 0) + hits);
  }
  const pctOf = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([frame, h]) => ({ frame, selfPct: Math.round((1000 * h) / total) / 10 }));
  return { frames: pctOf(self).slice(0, top), byArea: pctOf(area) };
}
