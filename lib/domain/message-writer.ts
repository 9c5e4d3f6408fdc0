// The realm daemon's message writer: `postmessage` and `deletemessage` from every connection
// go through one group commit (lib/db/group-commit.ts, batches run by message-batch.ts). An OK
// is sent only after the batch's COMMIT (synchronous_commit stays on: OK means durable). Local
// recipients are pushed to right after the commit by `onDelivered`; other daemon instances
// learn through NOTIFY, tagged with this instance's id so it does not push twice.
import type pg from "pg";
import { DomainError } from "./errors.ts";
import { GroupCommit } from "../db/group-commit.ts";
import { MESSAGE_LIMITS, checkMessageId, type Caller, type Delivery, type RecipientSpec } from "./messages.ts";
import {
  runMessageBatch,
  type DeleteResult,
  type MessageOp,
  type MessageOpResult,
  type PostResult,
} from "./message-batch.ts";

export class MessageWriter {
  private readonly gc: GroupCommit<MessageOp, MessageOpResult>;

  constructor(
    pool: pg.Pool,
    private readonly opts: { origin: string; onDelivered?: (deliveries: Delivery[]) => void },
  ) {
    // One batch in flight: the next one fills while it commits. A batch costs mostly a fixed
    // amount of CPU (its round trips, statements and commit: bench/batch-cost.ts), so where the
    // CPUs are the limit, fewer and larger batches store more. Measured on the 2-core bench
    // machine (docs/performance.md): one writer made batches twice as large (15 vs 8 posts at 32
    // senders), used ~20 % less CPU per message, stored 0.41x vs 0.36x the INSERT baseline and
    // lowered live p99 (53-77 ms vs 97-209 ms at 1,000/s).
    this.gc = new GroupCommit((ops) => runMessageBatch(pool, ops, opts.origin), { writers: 1 });
  }

  get stats() {
    return this.gc.stats;
  }

  /** createmessage + writemessagedata + sendmessage of a message that fits one block, as one unit. */
  async post(
    caller: Caller,
    messageId: string,
    recipients: RecipientSpec[],
    body: Buffer,
    retentionDays: number,
  ): Promise<PostResult> {
    const bad = checkMessageId(messageId, caller.fullId);
    if (bad) throw bad;
    if (recipients.length === 0) throw new DomainError("BADARGUMENTS", "A message needs at least one recipient.");
    if (recipients.length > MESSAGE_LIMITS.maxRecipients)
      throw new DomainError("BADARGUMENTS", `At most ${MESSAGE_LIMITS.maxRecipients} recipients.`);
    if (body.length > MESSAGE_LIMITS.blockBytes)
      throw new DomainError(
        "TOOLARGE",
        `postmessage takes at most ${MESSAGE_LIMITS.blockBytes} bytes; send larger messages with createmessage, writemessagedata and sendmessage.`,
      );
    const r = (await this.gc.submit({
      kind: "post",
      caller,
      messageId,
      recipients,
      body,
      retentionDays,
    })) as PostResult;
    if (r.deliveries.length) this.opts.onDelivered?.(r.deliveries);
    return r;
  }

  /** deletemessage (see deleteMessage in messages.ts for the rules), batched with everything else. */
  async delete(caller: Caller, messageId: string): Promise<DeleteResult> {
    return (await this.gc.submit({ kind: "delete", caller, messageId })) as DeleteResult;
  }
}
