// `readmessages`: the first block of several messages in one query, for clients draining an
// inbox (the SDK's receiveAll): one request and one statement per window of messages instead of
// one `readmessagedata` round trip and query each. The access rule is readMessageData's (the
// sender, or a recipient computer of a sent message); anything else reads as NOSUCHMESSAGE.
import type pg from "pg";
import { named } from "../db/named.ts";
import { MESSAGE_LIMITS, type Caller } from "./messages.ts";
import type { ReadManyEntry } from "../protocol/read-many.ts";

/** Most ids one `readmessages` takes. */
export const READ_MANY_MAX_IDS = 256;

/**
 * The first block of each message (at most `budgetBytes` of data in all: past it an entry
 * carries its size and no data, and the client reads it with readmessagedata).
 */
export async function readFirstBlocks(
  pool: pg.Pool,
  caller: Caller,
  ids: readonly string[],
  budgetBytes: number,
): Promise<ReadManyEntry[]> {
  const r = await pool.query<{ ord: string; size: string | null; allowed: boolean | null; data: Buffer | null }>(
    named(
      `SELECT k.ord, m.size, (m."senderUserId" = $3 OR (m."sentAt" IS NOT NULL AND EXISTS (
                SELECT 1 FROM message_recipients mr WHERE mr."messageId" = m.id AND mr."userId" = $3 AND (mr.computer = $4 OR mr.computer = '')))) AS allowed,
              b.data
         FROM unnest($2::text[]) WITH ORDINALITY AS k(mid, ord)
         LEFT JOIN messages m ON m."realmId" = $1 AND m."messageId" = k.mid
         LEFT JOIN message_blocks b ON b."messageId" = m.id AND b.block = 0
        ORDER BY k.ord`,
      [caller.realmId, ids, caller.userId, caller.computer],
    ),
  );
  let left = budgetBytes;
  return r.rows.map((row, i): ReadManyEntry => {
    if (!row.allowed || row.size === null) return { status: "NOSUCHMESSAGE", reason: `No message ${ids[i]}.` };
    const size = BigInt(row.size);
    const want = Number(size < BigInt(MESSAGE_LIMITS.blockBytes) ? size : BigInt(MESSAGE_LIMITS.blockBytes));
    if (want > left) return { status: "OK", size, data: new Uint8Array(0) };
    left -= want;
    // Never-written bytes read as zeros, as in readMessageData.
    const data = Buffer.alloc(want);
    row.data?.copy(data, 0, 0, Math.min(row.data.length, want));
    return { status: "OK", size, data };
  });
}
