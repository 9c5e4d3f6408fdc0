// LISTEN/NOTIFY: how changes made anywhere (the console, another realm-daemon instance) reach
// this instance within a second. A dedicated client listens; if it drops, it reconnects and the
// daemon reloads everything, since notifications sent meanwhile are lost.
import pg from "pg";
import type { Logger } from "pino";
import { CHANNELS } from "../lib/db/notify.ts";

export type NotificationHandler = (channel: string, payload: string) => void;

export class Notifier {
  private client?: pg.Client;
  private stopped = false;
  private retryMs = 250;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
    private readonly onNotify: NotificationHandler,
    private readonly onReconnect: () => void,
  ) {}

  async start(): Promise<void> {
    const c = new pg.Client({ connectionString: this.url, application_name: "opengroove-listen" });
    let listening = false;
    c.on("notification", (n) => this.onNotify(n.channel, n.payload ?? ""));
    c.on("error", (e) => this.log.warn({ err: e.message }, "notification connection error"));
    c.on("end", () => {
      if (this.client === c) this.client = undefined;
      // Only a connection that was listening starts a reconnect. A failed attempt also ends
      // (pg emits "end" after a refused connect) but reconnect() retries that one itself:
      // two retry chains per failure would multiply during an outage and leave several
      // listeners behind, each delivering every notification again.
      if (this.stopped || !listening) return;
      this.log.warn("notification connection lost; reconnecting");
      setTimeout(() => void this.reconnect(), this.retryMs).unref();
    });
    try {
      await c.connect();
      for (const ch of Object.values(CHANNELS)) await c.query(`LISTEN ${ch}`);
    } catch (e) {
      await c.end().catch(() => undefined);
      throw e;
    }
    if (this.stopped) {
      await c.end().catch(() => undefined); // stopped while this attempt was connecting
      return;
    }
    listening = true;
    this.client = c;
    this.retryMs = 250;
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.start();
      this.onReconnect();
    } catch {
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
      setTimeout(() => void this.reconnect(), this.retryMs).unref();
    }
  }

  /**
   * Readiness: the LISTEN connection is up and answers now (a connection that died silently
   * means pushes from other instances and the console stop arriving).
   */
  async check(timeoutMs = 2_000): Promise<boolean> {
    const c = this.client;
    if (!c) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    try {
      return await Promise.race([
        c.query("SELECT 1").then(
          () => true,
          () => false,
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
  }
}
