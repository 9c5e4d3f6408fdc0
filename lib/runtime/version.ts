// The software version a daemon reports (daemon_instances.version, shown in the console): the
// package version, plus the git commit when the process runs from a checkout, so instances of
// a half-finished rolling upgrade can be told apart. Read once; never throws.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

let cached: string | undefined;

export function softwareVersion(): string {
  if (cached) return cached;
  const root = path.resolve(import.meta.dirname, "../..");
  let version = "unknown";
  try {
    version =
      (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version?: string }).version ?? version;
  } catch {
    // A packaged install without package.json next to lib/: the version stays unknown.
  }
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 2_000,
    }).trim();
    if (/^[0-9a-f]{4,40}$/.test(commit)) version += `+${commit}`;
  } catch {
    // Not a git checkout (or no git): the package version alone.
  }
  cached = version;
  return version;
}
