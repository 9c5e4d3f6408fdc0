// The opengroove CLI (client/cli/bin.mjs) as a real child process, for the CLI tests: run to its
// end with the given standard input, its exit code and output collected.
import { spawn } from "node:child_process";
import path from "node:path";

export const CLI_BIN = path.resolve(import.meta.dirname, "../../client/cli/bin.mjs");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes (for commands that write binary data). */
  raw: Buffer;
}

export interface RunOptions {
  input?: string | Buffer;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs `command args` to its end; a command that cannot be started rejects. */
export function runCommand(command: string, args: string[], opts: RunOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : undefined,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      const raw = Buffer.concat(out);
      resolve({ code: code ?? -1, raw, stdout: raw.toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** The CLI with `args` (give it --config-dir, or OPENGROOVE_CONFIG_DIR in opts.env). */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CliRun> {
  return runCommand(process.execPath, [CLI_BIN, ...args], opts);
}
