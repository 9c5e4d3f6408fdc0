// A run of message rows of one target, pipelined (docs/federation.md §4b): every message that
// fits one deliverdata packet is sent as deliverbegin, deliverdata, delivercommit written one
// after the other without waiting for the replies, and up to outboxMessageWindow messages are in
// flight at once (the pacer keeps fewer when the peer is slow). The peer runs one connection's
// requests in order, so each message's steps arrive in order, and each step is idempotent by
// message id there (a sealed id answers state=complete, even after its recipients deleted it), so
// whatever reply is lost, a resend stores nothing twice. A row is closed only on what the peer
// said about it: deliverbegin state=complete, or state=open and every later step OK. A message the
// peer refuses for now holds only its own row (and so its stream from then on); the messages
// already written after it are closed or refused on their own replies, so they may overtake it.
// Bigger messages and peers that cannot take the pipeline go one step at a time (outbound.ts).
import { joinFieldsWithTrailingData } from "../../lib/protocol/index.ts";
import { LinkError, type LinkReply } from "../../lib/federation/packet-client.ts";
import {
  completeDelivery,
  discard,
  loadOutgoingRun,
  type OutboxRow,
  type Refusal,
  type SmallOutgoing,
} from "../../lib/federation/outbox-store.ts";
import type { TargetLease } from "../../lib/federation/outbox-queue.ts";
import { PermanentRefusal, ReplyError, type OutboundLink } from "./outbound.ts";
import type { StreamSender } from "./outbox-pipeline.ts";

export interface MessageRunResult {
  /** Rows of `rows` this run looked at (0: the first message goes step by step). */
  taken: number;
  answered: boolean;
  /** A row was held or the run stopped early: the stream goes on next round. */
  stop?: boolean;
  down?: { row: OutboxRow; reason: string };
}

/** How long a peer that cannot take pipelined messages gets them one step at a time. */
const UNPIPELINED_MS = 10 * 60_000;

type Sent = { taken: Refusal[] } | { failed: unknown; answered: boolean };

/** Sends the head of a run of message rows, pipelined. */
export async function sendMessageRun(s: StreamSender, t: TargetLease, rows: OutboxRow[]): Promise<MessageRunResult> {
  const l = s.fed.config.limits;
  const pool = s.fed.daemon.db.pool;
  const target = t.targetRealmId;
  if (l.outboxMessageWindow <= 0 || (s.unpipelined.get(target) ?? 0) > Date.now()) return { taken: 0, answered: false };
  const run = await loadOutgoingRun(pool, rows, target, l.chunkBytes, l.outboxRunBytes);
  if (!run.length) return { taken: 0, answered: false };
  const sends: SmallOutgoing[] = [];
  for (const x of run) {
    if (!x.m) await discard(pool, x.row);
    else if (!x.m.recipients.length) await completeDelivery(pool, x.row, []);
    else sends.push(x);
  }
  if (!sends.length) return { taken: run.length, answered: false };
  let link: OutboundLink;
  try {
    link = await s.link(sends[0].m!.realmId, target);
  } catch (e) {
    const out = await s.rowFailed(sends[0].row, e);
    if (out === "done" || out === "held") return { taken: run.length, answered: false, stop: true };
    return { taken: run.length, answered: false, down: { row: sends[0].row, reason: out.down } };
  }

  const pacer = s.messagePacer(target);
  const results: Array<Sent | undefined> = new Array(sends.length);
  const closing: Promise<unknown>[] = [];
  let stop = false;
  await new Promise<void>((resolve) => {
    let next = 0;
    let inFlight = 0;
    const pump = () => {
      while (!stop && !s.stopped() && inFlight < Math.min(pacer.window, l.outboxMessageWindow) && next < sends.length) {
        const k = next++;
        const depth = ++inFlight;
        const at = Date.now();
        void sendOne(link, sends[k], l.chunkBytes).then((r) => {
          results[k] = r;
          inFlight--;
          if ("taken" in r) {
            pacer.observe(Date.now() - at, depth);
            closing.push(completeDelivery(pool, sends[k].row, r.taken));
          } else {
            // After a refusal for now or a broken link nothing more is written; what is in flight
            // is answered. A refusal for good (a bounce) holds nothing back.
            if (!(r.failed instanceof PermanentRefusal)) stop = true;
            if (r.failed instanceof LinkError && r.failed.status === "TIMEOUT") pacer.timedOut();
          }
          pump();
        });
      }
      if (inFlight === 0) resolve();
    };
    pump();
  });
  // A completion that fails (the database) leaves its row pending: sent again, answered state=complete.
  const closed = await Promise.allSettled(closing);
  for (const c of closed)
    if (c.status === "rejected") s.fed.log.warn({ err: c.reason, target }, "recording a delivered message failed");

  let answered = results.some((r) => r && ("taken" in r || r.answered));
  let down: MessageRunResult["down"];
  for (const [k, r] of results.entries()) {
    if (!r || "taken" in r) continue;
    const row = sends[k].row;
    if (isTooManyInFlight(r.failed)) {
      // The peer keeps fewer requests per connection than a pipeline needs: one step at a time.
      s.unpipelined.set(target, Date.now() + UNPIPELINED_MS);
      s.fed.log.info({ target }, "peer cannot take pipelined messages; sending them one step at a time");
      continue;
    }
    const out = await s.rowFailed(row, r.failed);
    if (out !== "done" && out !== "held") down ??= { row, reason: out.down };
    else answered = true;
  }
  s.fed.log.debug(
    { target, sent: results.filter(Boolean).length, took: results.filter((r) => r && "taken" in r).length },
    "messages forwarded",
  );
  const sent = results.filter(Boolean).length;
  if (down) return { taken: run.length, answered, down };
  return { taken: run.length, answered, stop: stop || sent < sends.length };
}

function isTooManyInFlight(e: unknown): boolean {
  return e instanceof ReplyError && e.status === "BUSY" && /too many requests in flight/.test(e.message);
}

/** One message's steps, written at once; what the peer said about it. */
async function sendOne(link: OutboundLink, x: SmallOutgoing, chunk: number): Promise<Sent> {
  const m = x.m!;
  const steps: Array<Promise<LinkReply>> = [
    link.call("deliverbegin", [
      m.messageId,
      m.senderId,
      m.senderComputer,
      m.size.toString(),
      ...m.recipients.map((r) => `${r.recipientId}\t${r.computer}`),
    ]),
  ];
  for (let off = 0; off < x.data.length; off += chunk) {
    const len = Math.min(chunk, x.data.length - off);
    steps.push(
      link.call(
        "deliverdata",
        joinFieldsWithTrailingData([m.messageId, String(off), String(len)], x.data.subarray(off, off + len)),
      ),
    );
  }
  steps.push(link.call("delivercommit", [m.messageId]));
  const [begin, ...rest] = await Promise.allSettled(steps);
  if (begin.status === "rejected") return { failed: begin.reason, answered: !isLinkDown(begin.reason) };
  // Already taken (a resend): the later steps' answers do not matter (data and commit of a sealed id are no-ops).
  if (begin.value.lines[0] === "state=complete") return { taken: [] };
  const bad = rest.find((r) => r.status === "rejected");
  if (bad) return { failed: (bad as PromiseRejectedResult).reason, answered: true };
  return {
    taken: begin.value.lines
      .filter((line) => line.startsWith("refused="))
      .map((line) => {
        const [recipientId, status, reason] = line.slice(8).split("\t");
        return { recipientId, status, reason: reason ?? "" };
      }),
  };
}

function isLinkDown(e: unknown): boolean {
  return e instanceof LinkError && !(e instanceof ReplyError);
}
