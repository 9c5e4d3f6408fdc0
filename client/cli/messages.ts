// Looking at stored messages: sender and size from the realm, subject and file name from the
// envelope's header line (read without fetching the whole body).
import type { RealmClient } from "../sdk/index.ts";
import { decodeHeader, MAX_HEADER_BYTES, type EnvelopeHeader } from "../../lib/envelope.ts";

export interface MessageSummary extends EnvelopeHeader {
  id: string;
  sender: string;
  senderComputer: string;
  /** Stored bytes (header line + body). */
  storedBytes: number;
}

export async function describeMessage(client: RealmClient, id: string): Promise<MessageSummary> {
  const info = await client.messageInfo(id);
  let header: EnvelopeHeader = {};
  if (info.size > 0) {
    let start = await client.readMessageData(id, 0, Math.min(info.size, 4096));
    if (start[0] === 0x7b && !start.includes(0x0a) && info.size > start.length)
      start = await client.readMessageData(id, 0, Math.min(info.size, MAX_HEADER_BYTES + 1));
    header = decodeHeader(start)?.header ?? {};
  }
  return { id, sender: info.sender, senderComputer: info.senderComputer, storedBytes: info.size, ...header };
}
