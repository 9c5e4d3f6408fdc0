// The console dashboard's live figures (connections and queue sizes per realm), pushed to
// browsers with server-sent events (app/console/live/route.ts). One hub per web process reads
// them with ONE grouped query every `intervalMs` — only while at least one dashboard is open —
// and hands every subscriber the same snapshot; a subscriber hears only of realms it may see and
// only when a figure changed. So N open dashboards cost one small query a second, not N page
// renders every few seconds.
import type pg from "pg";
import { LIVE_HEARTBEAT_SECONDS } from "./users.ts";

export interface LiveRealmFigures {
  /** Connections of signed-in computers (presence rows of live daemon instances). */
  connections: number;
  /** Message deliveries waiting for local recipients to download them. */
  messagesWaiting: number;
  /** Messages and workspace events queued for other realms (federation outbox). */
  outboxQueued: number;
}

export type LiveSnapshot = Record<string, LiveRealmFigures>;

export async function readLiveFigures(pool: pg.Pool): Promise<LiveSnapshot> {
  const r = await pool.query<{ id: string; connections: number; waiting: number; queued: number }>(
    `SELECT r.id,
            COALESCE(p.n, 0)::int AS connections,
            COALESCE(w.n, 0)::int AS waiting,
            COALESCE(o.n, 0)::int AS queued
       FROM realms r
       LEFT JOIN (SELECT p."realmId", count(*) AS n FROM presences p JOIN daemon_instances d ON d.id = p."instanceId"
                   WHERE d."heartbeatAt" > now() - make_interval(secs => $1) GROUP BY 1) p ON p."realmId" = r.id
       LEFT JOIN (SELECT u."realmId", count(*) AS n FROM message_recipients mr JOIN users u ON u.id = mr."userId"
                   GROUP BY 1) w ON w."realmId" = r.id
       LEFT JOIN (SELECT "sourceRealmId", count(*) AS n FROM federation_outbox
                   WHERE "deliveredAt" IS NULL AND "failedAt" IS NULL GROUP BY 1) o ON o."sourceRealmId" = r.id`,
    [LIVE_HEARTBEAT_SECONDS],
  );
  const out: LiveSnapshot = {};
  for (const row of r.rows)
    out[row.id] = { connections: row.connections, messagesWaiting: row.waiting, outboxQueued: row.queued };
  return out;
}

/** The part of a snapshot one viewer may see (null = every realm). */
export function visiblePart(s: LiveSnapshot, realmIds: readonly string[] | null): LiveSnapshot {
  if (realmIds === null) return s;
  const out: LiveSnapshot = {};
  for (const id of realmIds) if (s[id]) out[id] = s[id];
  return out;
}

type Listener = (s: LiveSnapshot) => void;

export class LiveHub {
  private listeners = new Set<Listener>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last: LiveSnapshot | undefined;
  private reading = false;

  constructor(
    private readonly read: () => Promise<LiveSnapshot>,
    private readonly intervalMs = 1_000,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Calls `fn` with the current snapshot (at once when one is known) and every new one; returns the unsubscribe. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    if (this.last) fn(this.last);
    if (!this.timer && !this.reading) void this.tick();
    return () => {
      this.listeners.delete(fn);
      if (!this.listeners.size && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.last = undefined;
      }
    };
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.listeners.size) return;
    this.reading = true;
    try {
      const s = await this.read();
      this.last = s;
      for (const l of this.listeners) l(s);
    } catch (e) {
      this.onError(e); // keep the last figures; try again next tick
    } finally {
      this.reading = false;
    }
    if (this.listeners.size) this.timer = setTimeout(() => void this.tick(), this.intervalMs);
  }
}
