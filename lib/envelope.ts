// The message body format shared by the CLI, the SDK users and the browser mailbox (one module
// over Uint8Array, so it runs in Node and in the browser). The realm stores bodies as opaque
// bytes; clients put one JSON header line in front (docs/cli.md):
//   {"og":"message/1","subject":"...","filename":"...","contentType":"...","size":N}\n<body>
// A body without such a header line is shown as raw bytes.

export const ENVELOPE_TAG = "message/1";
export const MAX_HEADER_BYTES = 64 * 1024;

export interface EnvelopeHeader {
  subject?: string;
  filename?: string;
  contentType?: string;
  size?: number;
}

export function encodeEnvelope(h: EnvelopeHeader, body: Uint8Array): Uint8Array {
  const header: Record<string, string | number> = { og: ENVELOPE_TAG };
  if (h.subject) header.subject = h.subject;
  if (h.filename) header.filename = h.filename;
  header.contentType = h.contentType ?? "application/octet-stream";
  header.size = body.length;
  const head = new TextEncoder().encode(`${JSON.stringify(header)}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

export function decodeHeader(start: Uint8Array): { header: EnvelopeHeader; headerBytes: number } | undefined {
  if (start[0] !== 0x7b) return undefined;
  const nl = start.indexOf(0x0a);
  if (nl < 0 || nl > MAX_HEADER_BYTES) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(start.subarray(0, nl)));
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  if (o.og !== ENVELOPE_TAG) return undefined;
  const str = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
  return {
    header: {
      subject: str("subject"),
      filename: str("filename"),
      contentType: str("contentType"),
      size: typeof o.size === "number" ? o.size : undefined,
    },
    headerBytes: nl + 1,
  };
}

/** Splits a stored message into header and body; the body is the same type as the input (a Buffer stays a Buffer). */
export function decodeEnvelope<T extends Uint8Array>(message: T): { header: EnvelopeHeader; body: T; raw: boolean } {
  const h = decodeHeader(message.subarray(0, MAX_HEADER_BYTES + 1));
  if (!h) return { header: {}, body: message, raw: true };
  return { header: h.header, body: message.subarray(h.headerBytes) as T, raw: false };
}

export function isText(contentType: string | undefined): boolean {
  return !!contentType && (contentType.startsWith("text/") || contentType.startsWith("application/json"));
}

/** Text to show for a body: the text itself for text types (or valid UTF-8 raw bodies), else null. */
export function bodyText(header: EnvelopeHeader, body: Uint8Array, raw: boolean): string | null {
  if (!raw && !isText(header.contentType)) return null;
  if (body.includes(0)) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return null;
  }
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
export function guessContentType(filename: string | undefined, body: Uint8Array): string {
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
