// Users of a realm: prefix search with keyset pagination (index users(realmId, usernameKey)),
// one user's storage and computers, and the operator's writes on a user. Writes bump
// sessionEpoch where live sessions must go and announce the user on CHANNELS.user.
import crypto from "node:crypto";
import { z } from "zod";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { hashPassword } from "../auth/password.ts";
import { CHANNELS, notify } from "../db/notify.ts";
import { canManageUsers } from "../domain/permissions.ts";
import { checkPassword, foldUsername } from "../domain/usernames.ts";
import { effectiveQuota } from "../domain/quota-rule.ts";
import { recordAudit } from "./audit.ts";
import { defineCommand, type CommandContext } from "./command.ts";
import { checkbox, formatBytes, id, optionalIntField, optionalSizeField, sizeUnit, toBytes } from "./form.ts";

export interface UserListRow {
  id: string;
  username: string;
  usernameKey: string;
  status: "ACTIVE" | "SUSPENDED";
  bytesUsed: bigint;
  quotaBytes: bigint | null;
  createdAt: Date;
  lastLoginAt: Date | null;
}

export interface UserPage {
  rows: UserListRow[];
  /** Cursor for the next page (usernameKey of the last row), null on the last page. */
  nextAfter: string | null;
  /** Cursor for the previous page (usernameKey of the first row), null on the first page. */
  prevBefore: string | null;
}

function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface UserSearch {
  query?: string;
  after?: string;
  before?: string;
  limit?: number;
}

/** The statement behind searchUsers (exported so tests can EXPLAIN exactly what runs). */
export function userSearchSql(
  realmId: string,
  opts: UserSearch,
): { sql: Prisma.Sql; limit: number; backwards: boolean } {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 200);
  const prefix = foldUsername(opts.query?.trim() ?? "");
  const backwards = Boolean(opts.before) && !opts.after;
  const conds = [Prisma.sql`"realmId" = ${realmId}`];
  // The >= bound lets the planner use the index even where LIKE alone would not (non-C collations).
  if (prefix) conds.push(Prisma.sql`"usernameKey" >= ${prefix}`, Prisma.sql`"usernameKey" LIKE ${likePrefix(prefix)}`);
  if (opts.after) conds.push(Prisma.sql`"usernameKey" > ${opts.after}`);
  else if (opts.before) conds.push(Prisma.sql`"usernameKey" < ${opts.before}`);
  const order = backwards ? Prisma.sql`DESC` : Prisma.sql`ASC`;
  const sql = Prisma.sql`
    SELECT id, username, "usernameKey", status::text AS status, "bytesUsed", "quotaBytes", "createdAt", "lastLoginAt"
    FROM users WHERE ${Prisma.join(conds, " AND ")}
    ORDER BY "usernameKey" ${order} LIMIT ${limit + 1}`;
  return { sql, limit, backwards };
}

/**
 * One page of a realm's users whose usernameKey starts with `query`, in usernameKey order.
 * Keyset pagination (after / before a usernameKey) keeps every page an index range scan, so the
 * cost does not grow with the page number or the realm's size.
 */
export async function searchUsers(prisma: PrismaClient, realmId: string, opts: UserSearch = {}): Promise<UserPage> {
  const { sql, limit, backwards } = userSearchSql(realmId, opts);
  const rows = await prisma.$queryRaw<UserListRow[]>(sql);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  if (backwards) page.reverse();
  const first = page[0]?.usernameKey ?? null;
  const last = page[page.length - 1]?.usernameKey ?? null;
  return {
    rows: page,
    nextAfter: backwards ? (opts.before ? last : null) : more ? last : null,
    prevBefore: backwards ? (more ? first : null) : opts.after ? first : null,
  };
}

export async function countUsersWithPrefix(prisma: PrismaClient, realmId: string, query: string): Promise<number> {
  const prefix = foldUsername(query.trim());
  if (!prefix) return prisma.user.count({ where: { realmId } });
  const [r] = await prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM users WHERE "realmId" = ${realmId} AND "usernameKey" >= ${prefix} AND "usernameKey" LIKE ${likePrefix(prefix)}`;
  return Number(r.n);
}

/** A presence counts as online while its daemon instance has sent a heartbeat in the last 30 s. */
export const LIVE_HEARTBEAT_SECONDS = 30;

export async function getUserDetail(prisma: PrismaClient, userId: string) {
  const user = await prisma.user.findUnique({
    where: { id: userId },
    include: { realm: true, computers: { orderBy: { name: "asc" } } },
  });
  if (!user) return null;
  const liveSince = new Date(Date.now() - LIVE_HEARTBEAT_SECONDS * 1000);
  const [presences, waiting] = await Promise.all([
    prisma.presence.findMany({
      where: { userId: user.id, instance: { heartbeatAt: { gte: liveSince } } },
      select: { computer: true },
    }),
    prisma.messageRecipient.count({ where: { userId: user.id } }),
  ]);
  const online = new Set(presences.map((p) => p.computer));
  const { passwordHash: _omit, ...safeUser } = user;
  const { hcaptchaSecret: _secret, ...realm } = user.realm;
  return {
    user: safeUser,
    realm,
    effectiveQuotaBytes: effectiveQuota(user, user.realm),
    messagesWaiting: waiting,
    computers: user.computers.map((c) => ({ ...c, online: online.has(c.name) })),
  };
}

async function userRealm(prisma: PrismaClient, userId: string): Promise<string | null> {
  const u = await prisma.user.findUnique({ where: { id: userId }, select: { realmId: true } });
  return u?.realmId ?? null;
}

async function authorizeUser(ctx: CommandContext, userId: string): Promise<boolean> {
  const realmId = await userRealm(ctx.prisma, userId);
  return realmId !== null && canManageUsers(ctx.actor, realmId);
}

const userAudit = (u: {
  id: string;
  username: string;
  status: string;
  sessionEpoch: number;
  quotaBytes: bigint | null;
  canMessageOtherRealms: boolean;
  canCreateWorkspaces: boolean;
  canCreateInvites: boolean;
  imessageRatePerMinute: number | null;
}) => ({
  username: u.username,
  status: u.status,
  sessionEpoch: u.sessionEpoch,
  quotaBytes: u.quotaBytes,
  canMessageOtherRealms: u.canMessageOtherRealms,
  canCreateWorkspaces: u.canCreateWorkspaces,
  canCreateInvites: u.canCreateInvites,
  imessageRatePerMinute: u.imessageRatePerMinute,
});

export const setUserStatus = defineCommand({
  name: "user.status",
  schema: z.object({ userId: id, status: z.enum(["ACTIVE", "SUSPENDED"]) }),
  authorize: (ctx, input) => authorizeUser(ctx, input.userId),
  async run(ctx, input) {
    const user = await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.user.findUniqueOrThrow({ where: { id: input.userId } });
      // The epoch bump tells the realm daemon to drop the user's live sessions.
      const after = await tx.user.update({
        where: { id: before.id },
        data: { status: input.status, sessionEpoch: { increment: 1 } },
      });
      const action = input.status === "SUSPENDED" ? "user.suspend" : "user.reactivate";
      await recordAudit(tx, ctx, {
        action,
        targetType: "user",
        targetId: before.id,
        realmId: before.realmId,
        before: userAudit(before),
        after: userAudit(after),
      });
      await notify(tx, CHANNELS.user, before.id);
      return after;
    });
    return {
      message:
        input.status === "SUSPENDED"
          ? `${user.username} is suspended; their live sessions are being closed.`
          : `${user.username} is active again.`,
    };
  },
});

export const resetUserPassword = defineCommand({
  name: "user.reset-password",
  schema: z.object({
    userId: id,
    /** Blank generates one; otherwise the same rules as at signup. */
    password: z
      .string()
      .default("")
      .superRefine((v, ctx) => {
        const err = v === "" ? null : checkPassword(v);
        if (err) ctx.addIssue({ code: "custom", message: err.message });
      }),
  }),
  authorize: (ctx, input) => authorizeUser(ctx, input.userId),
  async run(ctx, input) {
    const generated = input.password ? null : crypto.randomBytes(12).toString("base64url");
    const passwordHash = await hashPassword(input.password || generated!);
    const user = await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.user.findUniqueOrThrow({ where: { id: input.userId } });
      const after = await tx.user.update({
        where: { id: before.id },
        data: { passwordHash, sessionEpoch: { increment: 1 } },
      });
      await recordAudit(tx, ctx, {
        action: "user.reset-password",
        targetType: "user",
        targetId: before.id,
        realmId: before.realmId,
        before: { sessionEpoch: before.sessionEpoch },
        after: { sessionEpoch: after.sessionEpoch, password: "changed" },
      });
      await notify(tx, CHANNELS.user, before.id);
      return after;
    });
    return {
      message: generated
        ? `New password for ${user.username} (shown once):`
        : `Password of ${user.username} changed; their live sessions are being closed.`,
      data: generated ? { password: generated } : undefined,
    };
  },
});

export const updateUserLimits = defineCommand({
  name: "user.limits",
  schema: z.object({
    userId: id,
    quota: optionalSizeField("Quota"),
    quotaUnit: sizeUnit,
    imessageRatePerMinute: optionalIntField(0, 100_000, "Immediate-message rate"),
    canMessageOtherRealms: checkbox,
    canCreateWorkspaces: checkbox,
    canCreateInvites: checkbox,
  }),
  authorize: (ctx, input) => authorizeUser(ctx, input.userId),
  async run(ctx, input) {
    const quotaBytes = input.quota === undefined ? null : toBytes(input.quota, input.quotaUnit);
    const { user, effective } = await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.user.findUniqueOrThrow({
        where: { id: input.userId },
        include: { realm: { select: { defaultQuotaBytes: true } } },
      });
      const after = await tx.user.update({
        where: { id: before.id },
        data: {
          quotaBytes,
          imessageRatePerMinute: input.imessageRatePerMinute,
          canMessageOtherRealms: input.canMessageOtherRealms,
          canCreateWorkspaces: input.canCreateWorkspaces,
          canCreateInvites: input.canCreateInvites,
        },
      });
      await recordAudit(tx, ctx, {
        action: "user.limits",
        targetType: "user",
        targetId: before.id,
        realmId: before.realmId,
        before: userAudit(before),
        after: userAudit(after),
      });
      await notify(tx, CHANNELS.user, before.id);
      return { user: after, effective: effectiveQuota(after, before.realm) };
    });
    const warnings =
      user.bytesUsed > effective
        ? [
            `${user.username} already stores ${formatBytes(user.bytesUsed)}, more than the ${formatBytes(effective)} quota. Nothing is deleted; they cannot store more until under it.`,
          ]
        : [];
    return { message: `Limits of ${user.username} saved.`, warnings };
  },
});
