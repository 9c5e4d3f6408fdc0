// Calls the operator API's dispatcher (lib/api/handler.ts) with real Request objects, as the
// Next route handler does, against a test database; and makes API tokens through the console
// command that the console's page uses.
import assert from "node:assert/strict";
import type pg from "pg";
import type { PrismaClient } from "../../lib/generated/prisma/client.ts";
import { handleApiRequest } from "../../lib/api/handler.ts";
import { executeCommand } from "../../lib/console/command.ts";
import { createApiToken } from "../../lib/console/api-tokens.ts";
import type { Actor } from "../../lib/domain/permissions.ts";

process.env.AUTH_SECRET ??= "api-test-secret-0123456789abcdef0123456789";

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface ApiClient {
  call(token: string | null, method: string, path: string, body?: unknown): Promise<ApiAnswer>;
}

export function apiClient(deps: { prisma: PrismaClient; pool: pg.Pool; ratePerMinute?: number }): ApiClient {
  return {
    async call(token, method, path, body) {
      const headers: Record<string, string> = { "x-forwarded-for": "192.0.2.10" };
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      const req = new Request(`http://api.test/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      const res = await handleApiRequest(req, deps);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      return { status: res.status, headers: res.headers, json: await res.json() };
    },
  };
}

/** A new token of `actor` (created the way the console page does). */
export async function makeToken(
  prisma: PrismaClient,
  actor: Actor,
  scope: { name?: string; role?: "ADMIN" | "REALM_OPERATOR"; realmIds?: string[]; expiresIn?: string } = {},
): Promise<{ token: string; tokenId: string; prefix: string }> {
  const r = await executeCommand(
    createApiToken,
    { prisma, actor, ip: null },
    {
      name: scope.name ?? "test token",
      role: scope.role ?? (actor.role === "ADMIN" ? "ADMIN" : "REALM_OPERATOR"),
      realmIds: scope.realmIds ?? [...actor.realmIds],
      expiresIn: scope.expiresIn ?? "30",
    },
  );
  assert.ok(r.ok, JSON.stringify(r));
  return r.data as { token: string; tokenId: string; prefix: string };
}
