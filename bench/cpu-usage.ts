// CPU time spent by the parts of a bench run, so that a figure can say where a message's cost
// goes (daemon, PostgreSQL, clients) whatever else the machine is doing: CPU time per message
// does not depend on how busy the machine is the way a rate does. PostgreSQL's is read from
// /proc: every process of the bench's cluster (the postmaster, its backends and helpers, plus
// what exited children used), found from the postmaster's pid.
import fs from "node:fs";
import type pg from "pg";

const TICK_MS = 10; // USER_HZ is 100 on Linux

function stat(pid: number): { ppid: number; ms: number; childMs: number } | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    // fields after the name: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based from pid
    return {
      ppid: Number(f[1]),
      ms: (Number(f[11]) + Number(f[12])) * TICK_MS,
      childMs: (Number(f[13]) + Number(f[14])) * TICK_MS,
    };
  } catch {
    return null;
  }
}

/** The postmaster's pid (the parent of a backend of `pool`), or null where /proc is missing. */
export async function postmasterPid(pool: pg.Pool): Promise<number | null> {
  const r = await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  return stat(r.rows[0].pid)?.ppid ?? null;
}

/** CPU ms used so far by the cluster whose postmaster is `pm` (live and exited processes). */
export function clusterCpuMs(pm: number | null): number {
  if (pm === null) return NaN;
  const root = stat(pm);
  if (!root) return NaN;
  let ms = root.ms + root.childMs;
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const s = stat(Number(d));
    if (s && s.ppid === pm) ms += s.ms;
  }
  return ms;
}

/** This process's CPU ms so far (user + system). */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
