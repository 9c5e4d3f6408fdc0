// The console's audit log: every write records who, what, the target, and before/after JSON.
// Secrets (hCaptcha secret, password and code hashes) are never written: only whether they changed.
import type { Prisma } from "../generated/prisma/client.ts";
import type { CommandContext } from "./command.ts";
import { visibleRealmIds, type Actor } from "../domain/permissions.ts";

type Tx = Prisma.TransactionClient;

const SECRET_KEYS = new Set(["hcaptchaSecret", "passwordHash", "codeHash", "tokenHash", "privateKeyPem", "tlsKeyPem"]);

/** JSON-safe copy: BigInt -> string, Date -> ISO, secrets -> "[set]" / null. */
export function auditJson(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  return JSON.parse(
    JSON.stringify(value, (key, v: unknown) => {
      if (SECRET_KEYS.has(key)) return v ? "[set]" : null;
      if (typeof v === "bigint") return v.toString();
      return v;
    }),
  ) as Prisma.InputJsonValue;
}

/** Who did it, for audit_log.actorLabel: "operator:alice", or the API token it came through. */
export function actorLabel(actor: Actor): string {
  const base = `${actor.kind}:${actor.username}`;
  return actor.apiToken ? `${base} via API token "${actor.apiToken.name}" (${actor.apiToken.prefix}…)` : base;
}

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string;
  realmId?: string | null;
  before?: unknown;
  after?: unknown;
}

export async function recordAudit(tx: Tx, ctx: CommandContext, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({
    data: {
      actorId: ctx.actor.id,
      actorLabel: actorLabel(ctx.actor),
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      realmId: entry.realmId ?? null,
      before: auditJson(entry.before),
      after: auditJson(entry.after),
      ip: ctx.ip,
    },
  });
}

export interface AuditFilter {
  realmId?: string;
  action?: string;
  actor?: string;
  /** Keyset: entries with id below this. */
  before?: bigint;
  limit?: number;
}

export interface AuditRow {
  id: bigint;
  at: Date;
  actorLabel: string;
  action: string;
  targetType: string;
  targetId: string;
  realmId: string | null;
  before: Prisma.JsonValue;
  after: Prisma.JsonValue;
  ip: string | null;
}

/** Newest first, keyset-paginated; a realm operator sees only entries of their realms. */
export async function listAudit(
  prisma: Prisma.TransactionClient,
  actor: Actor,
  filter: AuditFilter,
): Promise<{ rows: AuditRow[]; nextBefore: bigint | null }> {
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
  const visible = visibleRealmIds(actor);
  const where: Prisma.AuditLogWhereInput = {
    ...(filter.before ? { id: { lt: filter.before } } : {}),
    ...(filter.action ? { action: { startsWith: filter.action } } : {}),
    ...(filter.actor ? { actorLabel: { contains: filter.actor, mode: "insensitive" } } : {}),
  };
  if (filter.realmId) {
    if (visible && !visible.includes(filter.realmId)) return { rows: [], nextBefore: null };
    where.realmId = filter.realmId;
  } else if (visible) {
    where.realmId = { in: visible };
  }
  const rows = await prisma.auditLog.findMany({ where, orderBy: { id: "desc" }, take: limit + 1 });
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { rows: page, nextBefore: more ? page[page.length - 1].id : null };
}

export async function listAuditActions(prisma: Prisma.TransactionClient): Promise<string[]> {
  const rows = await prisma.auditLog.findMany({
    distinct: ["action"],
    select: { action: true },
    orderBy: { action: "asc" },
    take: 200,
  });
  return rows.map((r) => r.action);
}

/** Keys whose values differ between two audit JSON objects (for a compact before/after view). */
export function changedKeys(before: Prisma.JsonValue, after: Prisma.JsonValue): string[] {
  const b = before && typeof before === "object" && !Array.isArray(before) ? before : {};
  const a = after && typeof after === "object" && !Array.isArray(after) ? after : {};
  const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
  return [...keys].filter(
    (k) => JSON.stringify((b as Record<string, unknown>)[k]) !== JSON.stringify((a as Record<string, unknown>)[k]),
  );
}
