// Supervises one child component: waits for its "ready" message, restarts it with exponential
// backoff when it crashes, and stops it (SIGTERM, then SIGKILL) on shutdown.
import { fork, type ChildProcess } from "node:child_process";
import type { Logger } from "pino";
import { EXIT_CONFIG, type ReadyMessage } from "../runtime/daemon-lifecycle.ts";

export interface ComponentSpec {
  name: string;
  /** Script run with tsx. */
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
}

export const SUPERVISOR_DEFAULTS = {
  readyTimeoutMs: 120_000,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  /** A child that stayed up this long resets the backoff. */
  stableAfterMs: 60_000,
  stopGraceMs: 10_000,
} as const;

export class FatalComponentError extends Error {}

export class Supervisor {
  private child?: ChildProcess;
  private stopping = false;
  private backoff: number = SUPERVISOR_DEFAULTS.backoffInitialMs;
  private restarts = 0;
  addresses: string[] = [];

  constructor(
    private readonly spec: ComponentSpec,
    private readonly log: Logger,
    private readonly onFatal: (err: FatalComponentError) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the child and resolves when it reports ready; rejects if it fails before that. */
  start(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const startedAt = Date.now();
      // Its own process group: Ctrl-C in a terminal signals the launcher's group only, so the
      // launcher stops each child itself (a child that died of the terminal's SIGINT first would be
      // taken for a crash and "restarted" during shutdown). A child whose launcher is gone exits
      // on the IPC disconnect (lib/runtime/daemon-lifecycle.ts).
      const child = fork(this.spec.script, this.spec.args ?? [], {
        env: this.spec.env,
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "pipe", "ipc"],
        detached: true,
      });
      this.child = child;
      let ready = false;
      let stderrTail = "";
      child.stderr?.on("data", (d: Buffer) => {
        process.stderr.write(d);
        stderrTail = (stderrTail + d.toString()).slice(-2000);
      });
      const timer = setTimeout(() => {
        if (!ready) {
          reject(
            new Error(`${this.spec.name} did not become ready within ${SUPERVISOR_DEFAULTS.readyTimeoutMs / 1000} s`),
          );
          child.kill("SIGKILL");
        }
      }, SUPERVISOR_DEFAULTS.readyTimeoutMs);
      child.on("message", (m: ReadyMessage) => {
        if (m?.type === "ready" && !ready) {
          ready = true;
          clearTimeout(timer);
          this.addresses = m.addresses;
          resolve(m.addresses);
        }
      });
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        if (this.stopping) return;
        const lastLine = stderrTail.trim().split("\n").pop() ?? "";
        if (code === EXIT_CONFIG) {
          const err = new FatalComponentError(lastLine || `${this.spec.name}: configuration error`);
          if (!ready) reject(err);
          else this.onFatal(err);
          return;
        }
        if (!ready) {
          reject(
            new Error(
              `${this.spec.name} exited before it was ready (code ${code}, signal ${signal})${lastLine ? `: ${lastLine}` : ""}`,
            ),
          );
          return;
        }
        if (Date.now() - startedAt > SUPERVISOR_DEFAULTS.stableAfterMs)
          this.backoff = SUPERVISOR_DEFAULTS.backoffInitialMs;
        this.restarts++;
        this.log.error(
          { component: this.spec.name, code, signal, restartInMs: this.backoff, restarts: this.restarts },
          `${this.spec.name} crashed; restarting`,
        );
        const delay = this.backoff;
        this.backoff = Math.min(this.backoff * 2, SUPERVISOR_DEFAULTS.backoffMaxMs);
        setTimeout(() => {
          if (this.stopping) return;
          this.start().then(
            (a) => this.log.warn({ component: this.spec.name, addresses: a }, `${this.spec.name} restarted`),
            (e: Error) =>
              e instanceof FatalComponentError
                ? this.onFatal(e)
                : this.log.error({ err: e.message }, `${this.spec.name} restart failed`),
          );
        }, delay);
      });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), SUPERVISOR_DEFAULTS.stopGraceMs);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}
