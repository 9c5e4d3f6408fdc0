// Common start/stop behaviour for every long-running component (realm daemon, management
// daemon, web server): one "ready" report, clean shutdown on SIGINT/SIGTERM, exit when the
// launcher that forked us goes away, and a one-line error (exit 78) for a port already in use.
import type { Logger } from "pino";

/** Exit code for configuration problems (sysexits EX_CONFIG): the launcher does not restart these. */
export const EXIT_CONFIG = 78;

export interface RunningComponent {
  /** Human-readable addresses, e.g. ["tls://127.0.0.1:63745"]. */
  addresses: string[];
  close(): Promise<void>;
  /** close() is bounded by this (its own grace time); past it plus 2 s the process exits 1. Default 10 s. */
  stopTimeoutMs?: number;
}

export interface ReadyMessage {
  type: "ready";
  component: string;
  addresses: string[];
}

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly host: string,
    readonly what: string,
  ) {
    super(`port ${port} on ${host} is already in use (${what})`);
  }
}

export async function runComponent(name: string, log: Logger, start: () => Promise<RunningComponent>): Promise<void> {
  let running: RunningComponent | undefined;
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, `${name} stopping`);
    const timer = setTimeout(() => process.exit(1), running?.stopTimeoutMs ? running.stopTimeoutMs + 2_000 : 10_000);
    timer.unref();
    try {
      await running?.close();
    } catch (e) {
      log.error({ err: e }, `${name} close failed`);
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  // Forked by the launcher: if it dies (even by SIGKILL) the IPC channel closes; do not linger.
  if (process.send) process.on("disconnect", () => void stop("launcher gone"));
  try {
    running = await start();
  } catch (e) {
    if (e instanceof PortInUseError) {
      console.error(`${name}: ${e.message}`);
      process.exit(EXIT_CONFIG);
    }
    if (e instanceof Error && e.name === "ConfigError") {
      console.error(`${name}: ${e.message}`);
      process.exit(EXIT_CONFIG);
    }
    log.fatal({ err: e }, `${name} failed to start`);
    process.exit(1);
  }
  log.info({ addresses: running.addresses }, `${name} ready`);
  const msg: ReadyMessage = { type: "ready", component: name, addresses: running.addresses };
  process.send?.(msg);
}

/** Wraps server.listen so that EADDRINUSE becomes a PortInUseError naming the port. */
export function listenOrFail(
  server: {
    listen(port: number, host: string, cb: () => void): unknown;
    once(ev: "error", cb: (e: Error) => void): unknown;
    removeListener(ev: "error", cb: (e: Error) => void): unknown;
    address(): unknown;
  },
  port: number,
  host: string,
  what: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      const code = (e as NodeJS.ErrnoException).code;
      reject(code === "EADDRINUSE" || code === "EACCES" ? new PortInUseError(port, host, what) : e);
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.removeListener("error", onError);
      const a = server.address();
      resolve(typeof a === "object" && a && "port" in a ? Number((a as { port: number }).port) : port);
    });
  });
}
