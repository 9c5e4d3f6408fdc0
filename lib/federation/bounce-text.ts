// The text of a bounce (a message from "<realm>::postmaster" to a sender whose message another
// realm refused): a readable letter in the message envelope the mailbox, SDK and CLI show
// (lib/envelope.ts: subject "Undelivered: …", text/plain), followed by the machine-readable
// delivery report of earlier versions as a trailing section, so scripts that grep for
// `message=` / `refused=<user> TAB <STATUS> TAB <reason>` keep working.
import { decodeHeader, encodeEnvelope, MAX_HEADER_BYTES } from "../envelope.ts";

export interface BounceRefusal {
  recipientId: string;
  status: string;
  reason: string;
}

export interface BounceInput {
  messageId: string;
  /** The subject of the refused message, when its envelope is readable (not end-to-end encrypted). */
  subject?: string;
  sentAt?: Date | null;
  targetRealmId: string;
  refusals: readonly BounceRefusal[];
}

const REPORT_MARK = "--- delivery report (machine-readable) ---";
const MAX_LISTED = 20;

/** The subject of a stored message from its first bytes, if it has a readable envelope. */
export function subjectOf(firstBlock: Uint8Array | undefined): string | undefined {
  if (!firstBlock) return undefined;
  const s = decodeHeader(firstBlock.subarray(0, MAX_HEADER_BYTES + 1))?.header.subject;
  return s ? s.replace(/[\r\n\t]+/g, " ").slice(0, 200) : undefined;
}

/** Why one recipient did not get the message, in a phrase. */
export function explainRefusal(status: string, reason: string, targetRealmId: string): string {
  switch (status) {
    case "NOSUCHUSER":
      return "no such user";
    case "NOSUCHCOMPUTER":
      return reason || "no such computer";
    case "QUOTAEXCEEDED":
      return `realm ${targetRealmId} holds as much from this realm as it allows for now (its storage limit was reached)`;
    case "TOOLARGE":
      return `the message is larger than realm ${targetRealmId} accepts`;
    case "TIMEOUT":
      return `realm ${targetRealmId} could not be reached for a long time, so delivery was given up`;
    case "UNAUTHORIZED":
      return `realm ${targetRealmId} refused it${reason ? ` (${reason})` : ""}`;
    default:
      return `${status.toLowerCase()}${reason ? `: ${reason}` : ""}`;
  }
}

function utc(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The bounce's text body: the letter, then the report. */
export function bounceText(b: BounceInput): string {
  const what = b.subject ? `Your message “${b.subject}”` : `Your message ${b.messageId}`;
  const shown = b.refusals.slice(0, MAX_LISTED);
  const letter = [
    ...shown.map(
      (r) =>
        `${what} could not be delivered to ${r.recipientId}: ${explainRefusal(r.status, r.reason, b.targetRealmId)}.`,
    ),
    ...(b.refusals.length > shown.length ? [`… and to ${b.refusals.length - shown.length} more recipients.`] : []),
    "",
    `${b.sentAt ? `It was sent on ${utc(b.sentAt)}. ` : ""}Nothing more will be tried for ${
      b.refusals.length === 1 ? "this recipient" : "these recipients"
    }; any other recipients are not affected. Check the address, or send it again later.`,
  ];
  const report = [
    "OpenGroove delivery failure",
    `message=${b.messageId}`,
    `realm=${b.targetRealmId}`,
    ...b.refusals.map((r) => `refused=${r.recipientId}\t${r.status}\t${r.reason.replace(/[\r\n\t]+/g, " ")}`),
  ];
  return [...letter, "", REPORT_MARK, ...report, ""].join("\n");
}

/** The stored bounce (envelope + text), at most `maxBytes` (the report is cut at a line if needed). */
export function encodeBounce(b: BounceInput, maxBytes: number): Uint8Array {
  const subject = `Undelivered: ${b.subject ?? b.messageId}`.slice(0, 240);
  const enc = (text: string) =>
    encodeEnvelope({ subject, contentType: "text/plain; charset=utf-8" }, new TextEncoder().encode(text));
  let text = bounceText(b);
  let out = enc(text);
  while (out.length > maxBytes) {
    const cut = text.lastIndexOf("\n", text.length - 2 - (out.length - maxBytes));
    text = `${text.slice(0, Math.max(0, cut))}\n…\n`;
    out = enc(text);
  }
  return out;
}
