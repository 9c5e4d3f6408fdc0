// The CLI's message body format. The realm stores bodies as opaque bytes; the CLI puts one
// JSON header line in front (see docs/cli.md):
//   {"og":"message/1","subject":"...","filename":"...","contentType":"...","size":N}\n<body>
// A body that does not start with such a line is shown as raw bytes.

export const ENVELOPE_TAG = "message/1";
/** The header line is looked for in the first this-many bytes. */
export const MAX_HEADER_BYTES = 64 * 1024;

export interface EnvelopeHeader {
  subject?: string;
  filename?: string;
  contentType?: string;
  /** Body size in bytes (excluding the header line). */
  size?: number;
}

export function encodeEnvelope(h: EnvelopeHeader, body: Buffer): Buffer {
  const header: Record<string, string | number> = { og: ENVELOPE_TAG };
  if (h.subject) header.subject = h.subject;
  if (h.filename) header.filename = h.filename;
  header.contentType = h.contentType ?? "application/octet-stream";
  header.size = body.length;
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]);
}

/** Parses the header line from the start of a stored message; undefined if it has none. */
export function decodeHeader(start: Buffer): { header: EnvelopeHeader; headerBytes: number } | undefined {
  if (start[0] !== 0x7b) return undefined;
  const nl = start.indexOf(0x0a);
  if (nl < 0 || nl > MAX_HEADER_BYTES) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(start.subarray(0, nl).toString("utf8"));
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  if (o.og !== ENVELOPE_TAG) return undefined;
  const str = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
  return {
    header: { subject: str("subject"), filename: str("filename"), contentType: str("contentType"), size: typeof o.size === "number" ? o.size : undefined },
    headerBytes: nl + 1,
  };
}

/** Splits a whole stored message into header and body. */
export function decodeEnvelope(message: Buffer): { header: EnvelopeHeader; body: Buffer; raw: boolean } {
  const h = decodeHeader(message.subarray(0, MAX_HEADER_BYTES + 1));
  if (!h) return { header: {}, body: message, raw: true };
  return { header: h.header, body: message.subarray(h.headerBytes), raw: false };
}

const TYPES: Record<string, string> = {
  txt: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  html: "text/html; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  json: "application/json",
  pdf: "application/pdf",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  zip: "application/zip",
};

/** A content type from a file name, else text/plain when the bytes are UTF-8 text. */
export function guessContentType(filename: string | undefined, body: Buffer): string {
  const ext = filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  if (ext && TYPES[ext]) return TYPES[ext];
  if (!body.includes(0)) {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(body);
      return "text/plain; charset=utf-8";
    } catch {
      // binary
    }
  }
  return "application/octet-stream";
}

export function isText(contentType: string | undefined): boolean {
  return !!contentType && (contentType.startsWith("text/") || contentType.startsWith("application/json"));
}
