// One stream of a target's outbox rows (a workspace, or '' for messages), sent in order
// (docs/federation.md §4b). A run of consecutive small changes of one workspace is batched and
// pipelined: up to outboxBatchChanges changes per wschanges request (one transaction on the peer),
// several requests written before the first reply is awaited (the peer runs one connection's
// requests in order, so they arrive in order), and one answer per change: the rows the peer took
// are closed, the first one it refused decides for the stream
// (closed for good, held with its own backoff, or the peer is down), the rest of the run is sent
// again in a later round (the peer keys changes by seq, so a resend is harmless).
import { isStatusWord, joinFieldsWithTrailingData, type StatusWord } from "../../lib/protocol/index.ts";
import { LinkError } from "../../lib/federation/packet-client.ts";
import type { OutboxRow } from "../../lib/federation/outbox-store.ts";
import type { TargetLease } from "../../lib/federation/outbox-queue.ts";
import {
  closeDelivered,
  loadChangeRun,
  type ChangeRun,
  type WholeChange,
} from "../../lib/federation/workspace-change-batch.ts";
import { isPermanent, PermanentRefusal, ReplyError, type OutboundLink } from "./outbound.ts";
import type { Federation } from "./federation.ts";
import type { OutboxPacer } from "./outbox-pacer.ts";
import { sendMessageRun } from "./outbox-messages.ts";

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
  /** Peers that answered wschanges with UNKNOWNCOMMAND (older software), until when (ms). */
  unbatched: Map<string, number>;
  /** The window of messages in flight to a peer (outbox-messages.ts). */
  messagePacer(target: string): OutboxPacer;
  /** Peers that cannot take pipelined messages, until when (ms): their messages go step by step. */
  unpipelined: Map<string, number>;
}

/** How long a peer without wschanges gets changes one by one before batching is tried again. */
const UNBATCHED_MS = 10 * 60_000;

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
        if (out.unbatched) {
          // The peer runs older software: the same changes, in order, one request each.
          for (const x of run.sends) {
            const one = await s.deliverRow(t, x.row);
            if (one === "held") return { answered };
            if (one !== "done") return { answered, down: { row: x.row, reason: one.down } };
            answered = true;
          }
          i += taken;
          continue;
        }
        if (out.answered) answered = true;
        if (out.down) return { answered, down: out.down };
        if (out.stop) return { answered };
        i += taken;
        continue;
      }
    }
    if (row.kind === "message") {
      let j = i;
      while (j < rows.length && rows[j].kind === "message") j++;
      const out = await sendMessageRun(s, t, rows.slice(i, j));
      if (out.taken > 0) {
        if (out.answered) answered = true;
        if (out.down) return { answered, down: out.down };
        if (out.stop) return { answered };
        i += out.taken;
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
): Promise<{ answered: boolean; stop?: boolean; unbatched?: boolean; down?: { row: OutboxRow; reason: string } }> {
  const pool = s.fed.daemon.db.pool;
  await closeDelivered(pool, run.nothing, "nothing left to send");
  if (!run.sends.length) return { answered: false };
  if ((s.unbatched.get(t.targetRealmId) ?? 0) > Date.now()) return { answered: false, unbatched: true };
  let link: OutboundLink;
  try {
    link = await s.link(run.localRealmId, t.targetRealmId);
  } catch (e) {
    return verdict(run.sends[0].row, await s.rowFailed(run.sends[0].row, e), false);
  }
  // Requests are written in order (the peer answers them in the same order), at most the pacer's
  // window in flight; after the first refusal no further one is written.
  const replies = await pipeline(s, run, link, s.pacer(t.targetRealmId));
  if (replies[0] instanceof ReplyError && replies[0].status === "UNKNOWNCOMMAND") {
    s.unbatched.set(t.targetRealmId, Date.now() + UNBATCHED_MS);
    s.fed.log.info({ target: t.targetRealmId }, "peer does not know wschanges; sending its changes one by one");
    return { answered: true, unbatched: true };
  }
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

/** Splits a run into wschanges batches: at most outboxBatchChanges changes and about maxBytes of data each. */
function batches(run: ChangeRun, maxChanges: number, maxBytes: number): WholeChange[][] {
  const out: WholeChange[][] = [];
  let cur: WholeChange[] = [];
  let bytes = 0;
  for (const x of run.sends) {
    if (cur.length && (cur.length >= maxChanges || bytes + x.data.length > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(x);
    bytes += x.data.length;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** One wschanges request; per change: null (taken), the refusal, or undefined (not looked at). */
async function sendBatch(link: OutboundLink, batch: WholeChange[]): Promise<unknown[]> {
  const out: unknown[] = new Array(batch.length).fill(undefined);
  const fields = [batch[0].fields[0], String(batch.length), String(batch.reduce((n, x) => n + x.data.length, 0))];
  for (const x of batch) fields.push(...x.fields.slice(1));
  let lines: string[];
  try {
    lines = (await link.call("wschanges", joinFieldsWithTrailingData(fields, Buffer.concat(batch.map((x) => x.data)))))
      .lines;
  } catch (e) {
    out[0] = e ?? new Error("refused");
    return out;
  }
  for (let k = 0; k < batch.length && k < lines.length; k++) {
    const [seq, word, ...reason] = lines[k].split(" ");
    if (seq !== batch[k].fields[1]) {
      out[k] = new ReplyError(
        "BADPACKET",
        `wschanges: answer ${k + 1} is about change ${seq}, not ${batch[k].fields[1]}`,
      );
      break;
    }
    if (word === "new" || word === "complete") {
      out[k] = null;
      continue;
    }
    const status = (isStatusWord(word) ? word : "FAIL") as StatusWord;
    const text = reason.join(" ");
    out[k] = isPermanent(status) ? new PermanentRefusal(status, text) : new ReplyError(status, `wschanges: ${text}`);
    break;
  }
  return out;
}

/**
 * Sends the run as wschanges batches in order, keeping at most the pacer's window of requests in
 * flight. Per change: null (taken), the refusal or failure, undefined (not looked at: an earlier
 * one was refused, nothing more is written then).
 */
function pipeline(s: StreamSender, run: ChangeRun, link: OutboundLink, pacer: OutboxPacer): Promise<Array<unknown>> {
  const l = s.fed.config.limits;
  const maxBytes = Math.max(s.fed.daemon.config.limits.maxPacketBytes - 64 * 1024, 64 * 1024);
  const parts = batches(run, l.outboxBatchChanges, maxBytes);
  const results: unknown[][] = parts.map((b) => new Array(b.length).fill(undefined));
  let next = 0;
  let inFlight = 0;
  let refused = false;
  return new Promise((resolve) => {
    const pump = () => {
      while (!refused && inFlight < pacer.window && next < parts.length) {
        const k = next++;
        const depth = ++inFlight;
        const at = Date.now();
        void sendBatch(link, parts[k]).then((r) => settle(k, r, at, depth));
      }
      if (inFlight === 0) resolve(results.flat());
    };
    const settle = (k: number, r: unknown[], at: number, depth: number) => {
      results[k] = r;
      inFlight--;
      const failed = r.find((x) => x !== null && x !== undefined);
      if (failed !== undefined || r.includes(undefined)) {
        refused = true;
        if (failed instanceof LinkError && failed.status === "TIMEOUT") pacer.timedOut();
      } else pacer.observe(Date.now() - at, depth);
      pump();
    };
    pump();
  });
}
