// Where the embedded PostgreSQL cluster of a data directory lives: `<data dir>/pg`, or — when
// running as root and the data directory's parents are closed to the `postgres` user — a folder
// under /var/lib/opengroove recorded in `<data dir>/pg-location`.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { checkTraversable } from "../db/embedded-postgres.ts";

/** The cluster folder of an existing data directory (read-only: no folder is created). */
export function existingPgDir(dataDir: string): string {
  try {
    const loc = fs.readFileSync(path.join(dataDir, "pg-location"), "utf8").trim();
    if (loc) return loc;
  } catch {
    /* no relocation recorded */
  }
  return path.join(dataDir, "pg");
}

/** The cluster folder to use for a data directory, relocating it when `postgres` cannot reach it. */
export function pgDataDir(dataDir: string, say: (line: string) => void): string {
  const preferred = path.join(dataDir, "pg");
  const blocked = checkTraversable(preferred);
  if (!blocked) return preferred;
  // As root, PostgreSQL runs as the `postgres` user, which cannot enter a 0700 folder such as
  // /root. Keep the cluster in a folder it can reach, tied to this data directory.
  const alt = path.join(
    "/var/lib/opengroove",
    crypto.createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 16),
    "pg",
  );
  say(`postgres: ${blocked} is not reachable by the 'postgres' user; keeping the cluster in ${alt}`);
  fs.mkdirSync(path.dirname(alt), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(dataDir, "pg-location"), `${alt}\n`);
  return alt;
}
