// Group commit: operations that many connections make ready at the same time are executed
// together, in one transaction. While a batch commits, the next one fills; as soon as a writer
// is free, whatever has queued meanwhile goes out (no timer, no waiting for a batch to fill).
// Up to `writers` batches run at once: when the database's round trips, not its throughput,
// bound a batch (a busy machine), a second batch in flight halves the wait of the operations
// that arrive during the first. Each operation gets its own result: `execute` returns one per operation
// (a value, or an Error that is that operation's failure alone). If a whole batch fails
// unexpectedly (a deadlock, a lost connection), every operation is retried alone, in its own
// transaction, so one poisoned operation never fails or delays the others beyond that retry.

export type BatchResult<R> = R | Error;

export interface GroupCommitStats {
  batches: number;
  operations: number;
  largestBatch: number;
  /** Batches that failed as a whole and were retried one operation at a time. */
  splitBatches: number;
  /** Time spent executing batches (ms). */
  busyMs: number;
}

export class GroupCommit<Op, R> {
  private queue: Array<{ op: Op; resolve: (r: R) => void; reject: (e: Error) => void }> = [];
  private inFlight = 0;
  readonly stats: GroupCommitStats = { batches: 0, operations: 0, largestBatch: 0, splitBatches: 0, busyMs: 0 };

  constructor(
    private readonly execute: (ops: Op[]) => Promise<Array<BatchResult<R>>>,
    private readonly opts: { maxBatch?: number; writers?: number } = {},
  ) {}

  submit(op: Op): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length && this.inFlight < (this.opts.writers ?? 1)) {
      this.inFlight++;
      const batch = this.queue.splice(0, this.opts.maxBatch ?? 256);
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async runBatch(batch: Array<{ op: Op; resolve: (r: R) => void; reject: (e: Error) => void }>): Promise<void> {
    this.stats.batches++;
    this.stats.operations += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    let results: Array<BatchResult<R>>;
    const t0 = performance.now();
    try {
      results = await this.execute(batch.map((b) => b.op));
    } catch (e) {
      if (batch.length === 1) {
        this.stats.busyMs += performance.now() - t0;
        batch[0].reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      this.stats.splitBatches++;
      results = [];
      for (const b of batch) {
        try {
          results.push((await this.execute([b.op]))[0]);
        } catch (e2) {
          results.push(e2 instanceof Error ? e2 : new Error(String(e2)));
        }
      }
    }
    this.stats.busyMs += performance.now() - t0;
    batch.forEach((b, i) => {
      const r = results[i];
      if (r instanceof Error) b.reject(r);
      else b.resolve(r);
    });
  }
}
