// The operator HTTP API (/api/v1/...): route -> bearer token -> per-token rate limit -> JSON
// input -> the console command (lib/console, the one code path) -> the command's uniform result
// as JSON, with the result's status as the HTTP status. Plain Request/Response, so the Next
// route handler (app/api/v1/[...path]/route.ts) and the integration tests run the same code.
// No cookies are read: a browser never sends the bearer header by itself, so there is no CSRF.
import type pg from "pg";
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { authenticateApiToken } from "../auth/api-tokens.ts";
import { clientIpFrom } from "../auth/request-meta.ts";
import { executeCommand, FORBIDDEN, NOT_FOUND, type ActionResult } from "../console/command.ts";
import { hitRateLimit } from "../domain/rate-limit.ts";
import { createLogger } from "../log.ts";
import { matchRoute, type ApiRoute } from "./routes.ts";

const log = createLogger("api");
export const API_BASE = "/api/v1";

export interface ApiDeps {
  prisma: PrismaClient;
  pool: pg.Pool;
  /** Requests per token per minute (OPENGROOVE_API_RATE_LIMIT). */
  ratePerMinute?: number;
}

const rateSchema = z.coerce.number().int().min(1).max(1_000_000).default(600);
export function apiRateFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return rateSchema.parse(env.OPENGROOVE_API_RATE_LIMIT || undefined);
}

/** JSON with bigint as numbers (byte counts stay far below 2^53) and Dates as ISO strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === "bigint" ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v,
  );
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(toJson(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

type Failure = Extract<ActionResult, { ok: false }>;
const fail = (status: Failure["status"] | 405, error: string, extra: Record<string, unknown> = {}, headers = {}) =>
  jsonResponse(status, { ok: false, status, error, ...extra }, headers);

async function readInput(req: Request, route: ApiRoute, url: URL): Promise<Record<string, unknown> | Response> {
  if (route.method === "GET" || route.method === "DELETE") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of url.searchParams) out[k] = v;
    return out;
  }
  const text = await req.text();
  if (text.length > 256 * 1024) return fail(400, "The request body is larger than 256 KiB.");
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail(400, "The request body is not valid JSON.");
  }
  if (!body || typeof body !== "object" || Array.isArray(body))
    return fail(400, "The request body must be a JSON object.");
  // null means "empty" (e.g. quota: null = the realm default), as a blank form field does.
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, v === null ? "" : v]));
}

async function realmIdForSlug(prisma: PrismaClient, slug: string): Promise<string | null> {
  const r = await prisma.realm.findUnique({ where: { slug: slug.toLowerCase() }, select: { id: true } });
  return r?.id ?? null;
}

export async function handleApiRequest(req: Request, deps: ApiDeps): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname.startsWith(API_BASE) ? url.pathname.slice(API_BASE.length) : url.pathname;
  const match = matchRoute(req.method, path);
  if (!match.route) {
    if (match.allowed.length)
      return fail(405, `Use ${match.allowed.join(" or ")} here.`, {}, { allow: match.allowed.join(", ") });
    return fail(404, "No such API route; see /api/v1/openapi.json.");
  }
  const { route, params } = match;

  const auth = await authenticateApiToken(deps.prisma, req.headers.get("authorization"));
  if (!auth.ok) return fail(401, auth.error, {}, { "www-authenticate": 'Bearer realm="opengroove"' });

  const rate = deps.ratePerMinute ?? apiRateFromEnv();
  const hit = await hitRateLimit(deps.pool, `api-token:${auth.tokenId}`, rate, 60_000);
  if (!hit.allowed) {
    const seconds = Math.max(1, Math.ceil(hit.retryAfterMs / 1000));
    return fail(
      429,
      `Too many requests with this token (${rate} per minute); retry in ${seconds} s.`,
      {},
      {
        "retry-after": String(seconds),
      },
    );
  }

  const read = await readInput(req, route, url);
  if (read instanceof Response) return read;
  const input: Record<string, unknown> = { ...read };
  for (const [name, value] of Object.entries(params)) {
    if (name !== "slug") input[name] = value;
    else {
      const realmId = await realmIdForSlug(deps.prisma, value);
      if (!realmId) return fail(404, NOT_FOUND);
      input.realmId = realmId;
    }
  }
  if (route.realmQuery && typeof input[route.realmQuery] === "string") {
    const realmId = await realmIdForSlug(deps.prisma, input[route.realmQuery] as string);
    if (!realmId) return fail(404, NOT_FOUND);
    delete input[route.realmQuery];
    input.realmId = realmId;
  }
  if (route.current) {
    // Current values are read only for an actor allowed to change the target, so a refusal looks
    // the same whether or not the target exists. authorize reads only the id fields (from the path).
    if (!(await route.command.authorize({ prisma: deps.prisma, actor: auth.actor, ip: null }, input as never)))
      return route.command.deniedStatus === 403 ? fail(403, FORBIDDEN) : fail(404, NOT_FOUND);
    const current = await route.current(deps.prisma, input);
    if (!current) return fail(404, NOT_FOUND);
    Object.assign(input, { ...current, ...read });
  }

  const ip = clientIpFrom(req.headers);
  const result = await executeCommand(
    route.command,
    { prisma: deps.prisma, actor: auth.actor, ip, pool: deps.pool },
    input,
  );
  if (!result.ok) {
    const { values: _echo, ...rest } = result;
    if (result.status === 500) log.error({ route: `${route.method} ${route.path}` }, "api command failed");
    return jsonResponse(result.status, rest);
  }
  return jsonResponse(200, result);
}
