// Operator API tokens for /api/v1. A token is 32 random bytes (256 bits) shown once; the database
// keeps only HMAC-SHA256(key, token). A fast keyed hash is the right tool here, unlike for
// passwords: the secret is random and too long to guess, so slowing down each guess buys
// nothing, while a memory-hard hash on every API request would cost ~50 ms of CPU and make the
// API easy to overload. The hash is deterministic, so a request finds its token through the
// unique index on tokenHash, and the key (derived from AUTH_SECRET) means a copy of the
// database alone cannot even check a candidate token.
import crypto from "node:crypto";
import type { OperatorRole, PrismaClient } from "../generated/prisma/client.ts";
import type { Actor } from "../domain/permissions.ts";
import { authSecret } from "./secret.ts";

export const TOKEN_PREFIX = "ogt_";
/** Characters of the token kept in clear (prefix) to tell tokens apart in lists and the audit log. */
const SHOWN_CHARS = TOKEN_PREFIX.length + 8;

export function newApiToken(): { token: string; prefix: string } {
  const token = TOKEN_PREFIX + crypto.randomBytes(32).toString("base64url");
  return { token, prefix: token.slice(0, SHOWN_CHARS) };
}

let derivedKey: Buffer | undefined;
function tokenKey(): Buffer {
  // A separate key for this purpose, so the session-signing secret itself never hashes tokens.
  derivedKey ??= crypto.createHmac("sha256", authSecret()).update("opengroove api-token v1").digest();
  return derivedKey;
}

export function hashApiToken(token: string): string {
  return crypto.createHmac("sha256", tokenKey()).update(token).digest("hex");
}

/** The token from an `Authorization: Bearer …` header, or null when there is none or it is malformed. */
export function bearerToken(header: string | null): string | null {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? "");
  if (!m || !m[1].startsWith(TOKEN_PREFIX) || m[1].length > 100) return null;
  return m[1];
}

export type TokenAuth = { ok: true; actor: Actor; tokenId: string } | { ok: false; error: string };

const UNAUTHORIZED = "Missing, unknown, expired or revoked API token.";
/** lastUsedAt is written at most this often per token (one UPDATE per minute, not per request). */
const LAST_USED_PRECISION_MS = 60_000;

/**
 * The actor a bearer token acts as, re-read from the database on every request: the owner's
 * current role and realms bound the token's own scope, and a disabled owner, a demoted
 * administrator or a password change (session epoch) cuts it.
 */
export async function authenticateApiToken(prisma: PrismaClient, header: string | null): Promise<TokenAuth> {
  const token = bearerToken(header);
  if (!token) return { ok: false, error: UNAUTHORIZED };
  const row = await prisma.operatorApiToken.findUnique({
    where: { tokenHash: hashApiToken(token) },
    include: { operator: { include: { realms: { select: { realmId: true } } } } },
  });
  const now = Date.now();
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= now))
    return { ok: false, error: UNAUTHORIZED };
  const op = row.operator;
  if (op.disabled) return { ok: false, error: "The operator owning this API token is disabled." };
  if (op.sessionEpoch !== row.ownerEpoch)
    return { ok: false, error: "The owner's password changed since this API token was created; create a new token." };
  if (row.ownerRole === "ADMIN" && op.role !== "ADMIN")
    return { ok: false, error: "The owner of this API token is no longer an administrator; create a new token." };
  const role: OperatorRole = row.role === "ADMIN" && op.role === "ADMIN" ? "ADMIN" : "REALM_OPERATOR";
  const ownerRealms = new Set(op.realms.map((r) => r.realmId));
  const realmIds =
    role === "ADMIN"
      ? new Set<string>()
      : new Set(row.realmIds.filter((id) => op.role === "ADMIN" || ownerRealms.has(id)));
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
    await prisma.operatorApiToken.updateMany({
      where: { id: row.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now - LAST_USED_PRECISION_MS) } }] },
      data: { lastUsedAt: new Date(now) },
    });
  }
  return {
    ok: true,
    tokenId: row.id,
    actor: {
      kind: "operator",
      id: op.id,
      username: op.username,
      role,
      realmIds,
      apiToken: { id: row.id, name: row.name, prefix: row.prefix },
    },
  };
}
