// An account export as an HTTP download, streamed (never the whole archive in memory).
import { Readable } from "node:stream";
import type { AccountExport } from "../domain/account-export.ts";

export function tarResponse(exp: AccountExport): Response {
  return new Response(Readable.toWeb(exp.stream) as ReadableStream<Uint8Array>, {
    headers: {
      "content-type": "application/x-tar",
      "content-disposition": `attachment; filename="${exp.filename}"`,
      "cache-control": "no-store",
    },
  });
}
