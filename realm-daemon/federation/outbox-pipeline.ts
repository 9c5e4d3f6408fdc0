// One stream of a target's outbox rows (a workspace, or '' for messages), sent in order
// (docs/federation.md §4b). A run of consecutive small changes of one workspace is pipelined: every
// change of the run is one wschange request, all written before the first reply is awaited (the
// peer runs one connection's requests in order, so they arrive in order), and each gets its own
// reply: the rows the peer took are closed, the first one it refused decides for the stream
// (closed for good, held with its own backoff, or the peer is down), the rest of the run is sent
// again in a later round (the peer keys changes by seq, so a resend is harmless).
import { joinFieldsWithTrailingData } from "../../lib/protocol/index.ts";
import type { OutboxRow } from "../../lib/federation/outbox-store.ts";
import type { TargetLease } from "../../lib/federation/outbox-queue.ts";
import { closeDelivered, loadChangeRun, type ChangeRun } from "../../lib/federation/workspace-change-batch.ts";
import type { OutboundLink } from "./outbound.ts";
import type { Federation } from "./federation.ts";
import type { OutboxPacer } from "./outbox-pacer.ts";

export type Outcome = "done" | "held" | { down: string };

export interface StreamResult {
  /** The peer answered at least one request. */
  answered: boolean;
  /** The peer could not be reached: the row it failed at, and why. */
  down?: { row: OutboxRow; reason: string };
}

export interface StreamSender {
  fed: Federation;
  stopped(): boolean;
  link(localRealmId: string, target: string): Promise<OutboundLink>;
  /** Sends one row in steps (messages, control events, big changes). */
  deliverRow(t: TargetLease, row: OutboxRow): Promise<Outcome>;
  /** What a failed row means: closed ("done"), its stream held, or the peer is down. */
  rowFailed(row: OutboxRow, e: unknown): Promise<Outcome>;
  /** The window of pipelined requests to a peer. */
  pacer(target: string): OutboxPacer;
}

/** Sends a stream's rows in order until they are done, one is held, or the peer is down. */
export async function sendStream(s: StreamSender, t: TargetLease, rows: OutboxRow[]): Promise<StreamResult> {
  const l = s.fed.config.limits;
  let answered = false;
  for (let i = 0; i < rows.length && !s.stopped();) {
    const row = rows[i];
    if (row.kind === "ws-change") {
      let j = i;
      while (j < rows.length && rows[j].kind === "ws-change") j++;
      const { run, taken } = await loadChangeRun(
        s.fed.daemon.db.pool,
        rows.slice(i, j),
        l.chunkBytes,
        l.outboxRunBytes,
      );
      if (taken > 0) {
        const out = await sendRun(s, t, run);
        if (out.answered) answered = true;
        if (out.down) return { answered, down: out.down };
        if (out.stop) return { answered };
        i += taken;
        continue;
      }
    }
    const out = await s.deliverRow(t, row);
    if (out === "held") return { answered };
    if (out !== "done") return { answered, down: { row, reason: out.down } };
    answered = true;
    i++;
  }
  return { answered };
}

async function sendRun(
  s: StreamSender,
  t: TargetLease,
  run: ChangeRun,
): Promise<{ answered: boolean; stop?: boolean; down?: { row: OutboxRow; reason: string } }> {
  const pool = s.fed.daemon.db.pool;
  await closeDelivered(pool, run.nothing, "nothing left to send");
  if (!run.sends.length) return { answered: false };
  let link: OutboundLink;
  try {
    link = await s.link(run.localRealmId, t.targetRealmId);
  } catch (e) {
    return verdict(run.sends[0].row, await s.rowFailed(run.sends[0].row, e), false);
  }
  // Requests are written in order (the peer answers them in the same order), at most the pacer's
  // window in flight; after the first refusal no further one is written.
  const replies = await pipeline(run, link, s.pacer(t.targetRealmId));
  const took = run.sends.filter((_, k) => replies[k] === null).map((x) => x.row);
  const sent = replies.filter((r) => r !== undefined).length;
  await closeDelivered(pool, took);
  const k = replies.findIndex((r) => r !== null && r !== undefined);
  s.fed.log.debug(
    { workspaceId: run.sends[0].row.workspaceId, sent, took: took.length, target: t.targetRealmId },
    "workspace changes forwarded",
  );
  if (k < 0) return { answered: true, stop: sent < run.sends.length };
  const row = run.sends[k].row;
  return verdict(row, await s.rowFailed(row, replies[k]), took.length > 0 || !isDown(replies[k]));
}

function isDown(e: unknown): boolean {
  return e instanceof Error && e.name === "LinkError";
}

/** After a refused change the stream stops for this round (held or not): its later rows go again next round, in order. */
function verdict(row: OutboxRow, out: Outcome, answered: boolean) {
  if (out === "done") return { answered: true, stop: true };
  if (out === "held") return { answered, stop: true };
  return { answered, down: { row, reason: out.down } };
}

/**
 * Writes the run's wschange requests in order, keeping at most the pacer's window in flight.
 * Per request: null (taken), the error (refused or failed), undefined (not written: an earlier
 * one was refused).
 */
function pipeline(run: ChangeRun, link: OutboundLink, pacer: OutboxPacer): Promise<Array<unknown>> {
  const out: unknown[] = new Array(run.sends.length).fill(undefined);
  let next = 0;
  let inFlight = 0;
  let refused = false;
  return new Promise((resolve) => {
    const pump = () => {
      while (!refused && inFlight < pacer.window && next < run.sends.length) {
        const k = next++;
        const x = run.sends[k];
        const depth = ++inFlight;
        const at = Date.now();
        void link.call("wschange", joinFieldsWithTrailingData(x.fields, x.data)).then(
          () => settle(k, null, at, depth),
          (e: unknown) => settle(k, e ?? new Error("refused"), at, depth),
        );
      }
      if (inFlight === 0) resolve(out);
    };
    const settle = (k: number, r: unknown, at: number, depth: number) => {
      out[k] = r;
      inFlight--;
      if (r !== null) {
        refused = true;
        if (r instanceof Error && /TIMEOUT|no reply/.test(`${(r as { status?: string }).status} ${r.message}`))
          pacer.timedOut();
      } else pacer.observe(Date.now() - at, depth);
      pump();
    };
    pump();
  });
}
