// A realm's help documents (listhelpdocuments, gethelpdocument, gethelpdocumenthash), as the
// original designed them: HTML pages addressed by a path starting with "/", which may link to
// each other with help:///<path> URLs and to the web with http(s) URLs (the client opens those
// in a browser). Operators edit them in the console (lib/console/help-documents.ts).
import crypto from "node:crypto";
import type pg from "pg";
import { DomainError } from "./errors.ts";

export const HELP_LIMITS = { maxPathBytes: 200, maxBodyBytes: 256 * 1024, maxDocumentsPerRealm: 500 } as const;

/** Path rule: "/" then segments of letters, digits, ".", "_" and "-" separated by "/"; no "." or ".." segment. */
export function helpPathProblem(path: string): string | null {
  if (!path.startsWith("/")) return "a help document's path starts with /";
  if (Buffer.byteLength(path) > HELP_LIMITS.maxPathBytes)
    return `a help document's path has at most ${HELP_LIMITS.maxPathBytes} bytes`;
  const segments = path.slice(1).split("/");
  if (segments.some((s) => !/^[A-Za-z0-9._-]+$/.test(s) || s === "." || s === ".."))
    return "a help document's path is made of /-separated names of letters, digits, '.', '_' and '-'";
  return null;
}

export async function listHelpDocuments(db: pg.Pool, realmId: string): Promise<string[]> {
  const r = await db.query<{ path: string }>(`SELECT path FROM help_documents WHERE "realmId" = $1 ORDER BY path`, [
    realmId,
  ]);
  return r.rows.map((x) => x.path);
}

/** The document's HTML; NORESULTS when there is none at that path. */
export async function getHelpDocument(db: pg.Pool, realmId: string, path: string): Promise<string> {
  const problem = helpPathProblem(path);
  if (problem) throw new DomainError("BADARGUMENTS", problem);
  const r = await db.query<{ body: string }>(`SELECT body FROM help_documents WHERE "realmId" = $1 AND path = $2`, [
    realmId,
    path,
  ]);
  if (!r.rows[0]) throw new DomainError("NORESULTS", `no help document ${path}`);
  return r.rows[0].body;
}

/** SHA-256 (hex) of the document's UTF-8 bytes, so a client can keep a cached copy. */
export function helpDocumentHash(body: string): string {
  return crypto.createHash("sha256").update(body, "utf8").digest("hex");
}
