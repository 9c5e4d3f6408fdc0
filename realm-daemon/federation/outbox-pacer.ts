// How many pipelined requests the outbox keeps in flight to one peer. Every request has its own
// timeout (requestTimeoutMs) counted from when it was written, and the peer answers one
// connection's requests one after another, so the last of W requests waits about W times the
// peer's time per request: the window is kept at a quarter of the timeout's worth of requests,
// from a moving average of that time (between 1 and the maximum).
export class OutboxPacer {
  /** Moving average of the peer's time per request, ms (null: not measured yet). */
  private perRequestMs: number | null = null;

  constructor(
    private readonly timeoutMs: number,
    private readonly max: number,
    private readonly initial = 8,
  ) {}

  get window(): number {
    if (this.perRequestMs === null) return Math.min(this.initial, this.max);
    return Math.max(1, Math.min(this.max, Math.floor(this.timeoutMs / (4 * Math.max(this.perRequestMs, 1)))));
  }

  /** A reply came `latencyMs` after its request was written, with `depth` requests in flight (itself included). */
  observe(latencyMs: number, depth: number): void {
    const per = latencyMs / Math.max(depth, 1);
    this.perRequestMs = this.perRequestMs === null ? per : this.perRequestMs * 0.8 + per * 0.2;
  }

  /** A request timed out: start again from one request at a time. */
  timedOut(): void {
    this.perRequestMs = this.timeoutMs;
  }
}
