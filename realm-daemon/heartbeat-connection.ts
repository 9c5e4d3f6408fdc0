// The instance heartbeat's own PostgreSQL connection, outside the request pool: a pool saturated
// by requests (every client lent out, a queue of waiters) must not delay the heartbeat, or peers
// would reap a live instance as dead (docs/scaling.md). Connected lazily; a connection that fails
// or ends is dropped and the next heartbeat connects again. Every statement on it is bounded.
import pg from "pg";

export class HeartbeatConnection {
  private client?: Promise<pg.Client>;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly statementTimeoutMs: number,
  ) {}

  /** The connection, opened if needed. */
  get(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error("heartbeat connection closed"));
    this.client ??= this.open();
    return this.client;
  }

  private async open(): Promise<pg.Client> {
    const c = new pg.Client({
      connectionString: this.url,
      application_name: "opengroove-heartbeat",
      statement_timeout: this.statementTimeoutMs,
      connectionTimeoutMillis: this.statementTimeoutMs,
    });
    const drop = () => {
      if (this.client === mine) this.client = undefined;
    };
    const mine: Promise<pg.Client> = c.connect().then(
      () => c,
      (e: unknown) => {
        drop();
        throw e;
      },
    );
    // A connection error (PostgreSQL restarted) must not crash the daemon: drop it, reconnect next time.
    c.on("error", drop);
    c.on("end", drop);
    return mine;
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = await this.client?.catch(() => undefined);
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
