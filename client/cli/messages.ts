// Looking at stored messages: sender and size from the realm, subject and file name from the
// envelope's header line (read without fetching the whole body; an encrypted message's first
// chunk is decrypted for it, docs/clients.md).
import type { RealmClient } from "../sdk/index.ts";
import type { SecureMessaging } from "../sdk/secure-messages.ts";
import { decodeHeader, MAX_HEADER_BYTES, type EnvelopeHeader } from "../../lib/envelope.ts";

export interface MessageSummary extends EnvelopeHeader {
  id: string;
  sender: string;
  senderComputer: string;
  /** Stored bytes (header line + body, sealed when encrypted). */
  storedBytes: number;
  encrypted: boolean;
}

export async function describeMessage(client: RealmClient, id: string, sm: SecureMessaging): Promise<MessageSummary> {
  const info = await client.messageInfo(id);
  let header: EnvelopeHeader = {};
  let encrypted = false;
  if (info.size > 0) {
    const peek = await sm.peek(id, info.size);
    encrypted = peek.encrypted;
    let start = peek.start;
    if (start && !encrypted && start[0] === 0x7b && !start.includes(0x0a) && info.size > start.length)
      start = await client.readMessageData(id, 0, Math.min(info.size, MAX_HEADER_BYTES + 1));
    header = (start && decodeHeader(start)?.header) ?? {};
  }
  const size = header.size;
  return {
    id,
    sender: info.sender,
    senderComputer: info.senderComputer,
    storedBytes: info.size,
    encrypted,
    ...header,
    size,
  };
}
