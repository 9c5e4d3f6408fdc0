// Dashboard figures, read from maintained counters and small aggregates (no per-user scans
// beyond one SUM per realm). "Online" means a presence row whose daemon instance sent a
// heartbeat within LIVE_HEARTBEAT_SECONDS.
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { visibleRealmIds, type Actor } from "../domain/permissions.ts";
import { LIVE_HEARTBEAT_SECONDS } from "./users.ts";
import { effectiveQuotaSql } from "../domain/quota-rule.ts";

// The effective-quota rule (quota-rule.ts) over the aliases these queries use.
const QUOTA_X = Prisma.raw(effectiveQuotaSql("x", "r"));
const QUOTA_U = Prisma.raw(effectiveQuotaSql("u", "r"));

export interface RealmStats {
  id: string;
  slug: string;
  name: string;
  status: "ACTIVE" | "DISABLED";
  registrationMode: "OPEN" | "INVITE" | "CLOSED";
  userCount: number;
  userCap: number;
  defaultQuotaBytes: bigint;
  storageUsed: bigint;
  /** Sum of every user's effective quota. */
  storageAllocated: bigint;
  usersOverQuota: number;
  messagesWaiting: number;
  computersOnline: number;
  federationStatus: "PENDING" | "APPROVED" | "REVOKED" | null;
}

export interface BigUser {
  id: string;
  username: string;
  realmSlug: string;
  realmName: string;
  bytesUsed: bigint;
  quotaBytes: bigint;
}

function realmFilter(actor: Actor, column: Prisma.Sql): Prisma.Sql {
  const visible = visibleRealmIds(actor);
  if (visible === null) return Prisma.sql`TRUE`;
  if (visible.length === 0) return Prisma.sql`FALSE`;
  return Prisma.sql`${column} IN (${Prisma.join(visible)})`;
}

export async function realmStats(prisma: PrismaClient, actor: Actor): Promise<RealmStats[]> {
  const rows = await prisma.$queryRaw<
    (Omit<RealmStats, "userCount" | "userCap" | "usersOverQuota" | "messagesWaiting" | "computersOnline"> &
      Record<"userCount" | "userCap" | "usersOverQuota" | "messagesWaiting" | "computersOnline", number | bigint>)[]
  >`
    SELECT r.id, r.slug, r.name, r.status::text AS status, r."registrationMode"::text AS "registrationMode",
           r."userCount", r."userCap", r."defaultQuotaBytes",
           COALESCE(u.used, 0)::bigint AS "storageUsed",
           COALESCE(u.allocated, 0)::bigint AS "storageAllocated",
           COALESCE(u.over, 0)::int AS "usersOverQuota",
           (SELECT count(*) FROM message_recipients mr JOIN messages m ON m.id = mr."messageId"
             WHERE m."realmId" = r.id AND mr."userId" IS NOT NULL)::int AS "messagesWaiting",
           (SELECT count(*) FROM presences p JOIN daemon_instances d ON d.id = p."instanceId"
             WHERE p."realmId" = r.id AND d."heartbeatAt" > now() - make_interval(secs => ${LIVE_HEARTBEAT_SECONDS}))::int AS "computersOnline",
           k.status::text AS "federationStatus"
    FROM realms r
    LEFT JOIN LATERAL (
      SELECT sum(x."bytesUsed") AS used,
             sum(${QUOTA_X}) AS allocated,
             count(*) FILTER (WHERE x."bytesUsed" > ${QUOTA_X}) AS over
      FROM users x WHERE x."realmId" = r.id
    ) u ON TRUE
    LEFT JOIN known_realms k ON k."realmId" = r.id
    WHERE ${realmFilter(actor, Prisma.sql`r.id`)}
    ORDER BY r.name`;
  return rows.map((r) => ({
    ...r,
    userCount: Number(r.userCount),
    userCap: Number(r.userCap),
    usersOverQuota: Number(r.usersOverQuota),
    messagesWaiting: Number(r.messagesWaiting),
    computersOnline: Number(r.computersOnline),
  }));
}

export async function biggestUsers(prisma: PrismaClient, actor: Actor, limit = 10): Promise<BigUser[]> {
  return prisma.$queryRaw<BigUser[]>`
    SELECT u.id, u.username, r.slug AS "realmSlug", r.name AS "realmName", u."bytesUsed",
           ${QUOTA_U} AS "quotaBytes"
    FROM users u JOIN realms r ON r.id = u."realmId"
    WHERE u."bytesUsed" > 0 AND ${realmFilter(actor, Prisma.sql`u."realmId"`)}
    ORDER BY u."bytesUsed" DESC LIMIT ${limit}`;
}

export async function liveDaemons(prisma: PrismaClient): Promise<{ kind: string; count: number }[]> {
  const since = new Date(Date.now() - LIVE_HEARTBEAT_SECONDS * 1000);
  const rows = await prisma.daemonInstance.groupBy({
    by: ["kind"],
    where: { heartbeatAt: { gte: since } },
    _count: true,
    orderBy: { kind: "asc" },
  });
  return rows.map((r) => ({ kind: r.kind, count: r._count }));
}
