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
    // Two batches in flight at most: the second fills and runs while the first waits on its
    // commit; more would only add lock waits on the same sender rows.
    this.gc = new GroupCommit((ops) => runMessageBatch(pool, ops, opts.origin), { writers: 2 });
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
