// The console's reads as commands (readOnly: no change log line), so the operator API calls the
// same zod schema -> permission check -> query path for lists and details as for writes. The
// console pages call the underlying list functions directly; both end in the same queries.
import type pg from "pg";
import { z } from "zod";
import { db } from "../db/client.ts";
import { backupStatus } from "../backup/runs.ts";
import { canManageOperators, canManageUsers, canViewRealm, isAdmin } from "../domain/permissions.ts";
import { listApiTokens } from "./api-tokens.ts";
import { listAudit } from "./audit.ts";
import { ConsoleError, defineCommand, NOT_FOUND, type CommandContext } from "./command.ts";
import { id, intField } from "./form.ts";
import { listInvites } from "./invites.ts";
import { getOperator, listOperators } from "./operators.ts";
import { listRealms, toRealmView } from "./realms.ts";
import { countUsersWithPrefix, getUserDetail, searchUsers } from "./users.ts";

const optionalText = (max: number) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    z.string().trim().max(max).optional(),
  );
const pageLimit = intField(1, 200, "Limit").default(50);

export const listRealmsQuery = defineCommand({
  name: "realm.list",
  readOnly: true,
  schema: z.object({}),
  authorize: () => true,
  async run(ctx) {
    const realms = await listRealms(ctx.prisma, ctx.actor);
    return { message: `${realms.length} realm${realms.length === 1 ? "" : "s"}.`, data: { realms } };
  },
});

export const getRealmQuery = defineCommand({
  name: "realm.get",
  readOnly: true,
  schema: z.object({ realmId: id }),
  authorize: (ctx, input) => canViewRealm(ctx.actor, input.realmId),
  async run(ctx, input) {
    const realm = await ctx.prisma.realm.findUnique({ where: { id: input.realmId } });
    if (!realm) throw new ConsoleError(404, NOT_FOUND);
    return { message: realm.name, data: { realm: toRealmView(realm) } };
  },
});

export const searchUsersQuery = defineCommand({
  name: "user.search",
  readOnly: true,
  schema: z.object({
    realmId: id,
    q: optionalText(200),
    after: optionalText(400),
    before: optionalText(400),
    limit: pageLimit,
  }),
  authorize: (ctx, input) => canManageUsers(ctx.actor, input.realmId),
  async run(ctx, input) {
    const [page, total] = await Promise.all([
      searchUsers(ctx.prisma, input.realmId, {
        query: input.q,
        after: input.after,
        before: input.before,
        limit: input.limit,
      }),
      countUsersWithPrefix(ctx.prisma, input.realmId, input.q ?? ""),
    ]);
    return { message: `${total} user${total === 1 ? "" : "s"} match.`, data: { ...page, total } };
  },
});

export const getUserQuery = defineCommand({
  name: "user.get",
  readOnly: true,
  schema: z.object({ userId: id }),
  async authorize(ctx, input) {
    const u = await ctx.prisma.user.findUnique({ where: { id: input.userId }, select: { realmId: true } });
    return u !== null && canManageUsers(ctx.actor, u.realmId);
  },
  async run(ctx, input) {
    const detail = (await getUserDetail(ctx.prisma, input.userId))!;
    return { message: detail.user.username, data: detail };
  },
});

export const listInvitesQuery = defineCommand({
  name: "invite.list",
  readOnly: true,
  schema: z.object({ realmId: id }),
  authorize: (ctx, input) => canManageUsers(ctx.actor, input.realmId),
  async run(ctx, input) {
    const out = await listInvites(ctx.prisma, input.realmId);
    return { message: `${out.total} invite${out.total === 1 ? "" : "s"}.`, data: out };
  },
});

export const listOperatorsQuery = defineCommand({
  name: "operator.list",
  readOnly: true,
  deniedStatus: 403,
  schema: z.object({}),
  authorize: (ctx) => canManageOperators(ctx.actor),
  async run(ctx) {
    const operators = await listOperators(ctx.prisma);
    return { message: `${operators.length} operators.`, data: { operators } };
  },
});

export const getOperatorQuery = defineCommand({
  name: "operator.get",
  readOnly: true,
  deniedStatus: 403,
  schema: z.object({ operatorId: id }),
  authorize: (ctx) => canManageOperators(ctx.actor),
  async run(ctx, input) {
    const operator = await getOperator(ctx.prisma, input.operatorId);
    if (!operator) throw new ConsoleError(404, NOT_FOUND);
    return { message: operator.username, data: { operator } };
  },
});

export const listAuditQuery = defineCommand({
  name: "audit.list",
  readOnly: true,
  schema: z.object({
    realmId: optionalText(300),
    action: optionalText(100),
    actor: optionalText(100),
    before: optionalText(30).refine((v) => v === undefined || /^\d{1,19}$/.test(v), "before is an entry id (digits)."),
    limit: pageLimit,
  }),
  // A realm operator may filter by their realms only; without a realm they see their realms' entries.
  authorize: (ctx, input) => input.realmId === undefined || canViewRealm(ctx.actor, input.realmId),
  async run(ctx, input) {
    const page = await listAudit(ctx.prisma, ctx.actor, {
      realmId: input.realmId,
      action: input.action,
      actor: input.actor,
      before: input.before ? BigInt(input.before) : undefined,
      limit: input.limit,
    });
    return {
      message: `${page.rows.length} entr${page.rows.length === 1 ? "y" : "ies"}.`,
      data: { entries: page.rows, nextBefore: page.nextBefore === null ? null : page.nextBefore.toString() },
    };
  },
});

export const backupStatusQuery = defineCommand({
  name: "backup.status",
  readOnly: true,
  deniedStatus: 403,
  schema: z.object({}),
  authorize: (ctx) => isAdmin(ctx.actor),
  async run(ctx: CommandContext & { pool?: pg.Pool }) {
    const status = await backupStatus(ctx.pool ?? db().pool);
    return {
      message: status.lastSuccessAt
        ? `Last good backup ${status.lastSuccessAt.toISOString()}.`
        : "No backup has succeeded yet.",
      data: status,
    };
  },
});

export const listApiTokensQuery = defineCommand({
  name: "operator.api-token-list",
  readOnly: true,
  schema: z.object({}),
  authorize: () => true,
  async run(ctx) {
    const tokens = await listApiTokens(ctx.prisma, ctx.actor);
    return { message: `${tokens.length} API token${tokens.length === 1 ? "" : "s"}.`, data: { tokens } };
  },
});
