// Console operators (administrators only): create, assign realms, change role, disable, set a
// new password. The last active administrator cannot be demoted or disabled, and nobody can
// demote or disable themselves.
import { z } from "zod";
import { OperatorRole, type Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { hashPassword } from "../auth/password.ts";
import { canManageOperators } from "../domain/permissions.ts";
import { recordAudit } from "./audit.ts";
import { ConsoleError, defineCommand, FIX_FIELDS } from "./command.ts";
import { checkbox, id } from "./form.ts";

const realmIdList = z.preprocess(
  (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
  z.array(z.string().min(1).max(300)).max(1000),
);
const password = z.string().min(12, "Use at least 12 characters.").max(256, "Password must be at most 256 characters.");
const role = z.enum(OperatorRole, { error: "Choose a role." });

export async function listOperators(prisma: PrismaClient) {
  return prisma.operator.findMany({
    orderBy: { username: "asc" },
    omit: { passwordHash: true },
    include: { realms: { select: { realm: { select: { id: true, name: true, slug: true } } } } },
  });
}

export async function getOperator(prisma: PrismaClient, operatorId: string) {
  return prisma.operator.findUnique({
    where: { id: operatorId },
    omit: { passwordHash: true },
    include: { realms: { select: { realmId: true } } },
  });
}

async function existingRealmIds(tx: Prisma.TransactionClient, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const found = await tx.realm.findMany({ where: { id: { in: ids } }, select: { id: true } });
  if (found.length !== new Set(ids).size)
    throw new ConsoleError(400, FIX_FIELDS, {
      realmIds: ["One of the chosen realms no longer exists."],
    });
  return found.map((r) => r.id);
}

async function activeAdminsOtherThan(tx: Prisma.TransactionClient, operatorId: string): Promise<number> {
  return tx.operator.count({ where: { role: "ADMIN", disabled: false, id: { not: operatorId } } });
}

const operatorAudit = (o: { username: string; role: string; disabled: boolean }, realmIds: string[]) => ({
  username: o.username,
  role: o.role,
  disabled: o.disabled,
  realmIds,
});

export const createOperator = defineCommand({
  name: "operator.create",
  deniedStatus: 403,
  schema: z.object({
    username: z
      .string()
      .trim()
      .min(2, "Use at least 2 characters.")
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, "Letters, digits, _ . - only."),
    password,
    role,
    realmIds: realmIdList,
  }),
  authorize: (ctx) => canManageOperators(ctx.actor),
  async run(ctx, input) {
    const passwordHash = await hashPassword(input.password);
    const exists = await ctx.prisma.operator.findUnique({ where: { username: input.username }, select: { id: true } });
    if (exists)
      throw new ConsoleError(409, FIX_FIELDS, {
        username: ["An operator with this name exists."],
      });
    const op = await ctx.prisma.$transaction(async (tx) => {
      const realmIds = input.role === "ADMIN" ? [] : await existingRealmIds(tx, input.realmIds);
      const created = await tx.operator.create({
        data: {
          username: input.username,
          passwordHash,
          role: input.role,
          realms: { create: realmIds.map((realmId) => ({ realmId })) },
        },
      });
      await recordAudit(tx, ctx, {
        action: "operator.create",
        targetType: "operator",
        targetId: created.id,
        after: operatorAudit(created, realmIds),
      });
      return created;
    });
    return { message: `Operator ${op.username} created.`, data: { operatorId: op.id } };
  },
});

export const updateOperator = defineCommand({
  name: "operator.update",
  deniedStatus: 403,
  schema: z.object({ operatorId: id, role, disabled: checkbox, realmIds: realmIdList }),
  authorize: (ctx) => canManageOperators(ctx.actor),
  async run(ctx, input) {
    const op = await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.operator.findUnique({
        where: { id: input.operatorId },
        include: { realms: { select: { realmId: true } } },
      });
      if (!before) throw new ConsoleError(404, "Not found.");
      const losesAdmin = before.role === "ADMIN" && !before.disabled && (input.role !== "ADMIN" || input.disabled);
      if (losesAdmin && before.id === ctx.actor.id)
        throw new ConsoleError(400, "You cannot demote or disable yourself.", {
          role: ["You cannot demote or disable yourself."],
        });
      if (losesAdmin && (await activeAdminsOtherThan(tx, before.id)) === 0)
        throw new ConsoleError(400, "At least one active administrator must remain.");
      const realmIds = input.role === "ADMIN" ? [] : await existingRealmIds(tx, input.realmIds);
      await tx.operatorRealm.deleteMany({ where: { operatorId: before.id } });
      const after = await tx.operator.update({
        where: { id: before.id },
        data: {
          role: input.role,
          disabled: input.disabled,
          realms: { create: realmIds.map((realmId) => ({ realmId })) },
        },
      });
      await recordAudit(tx, ctx, {
        action: "operator.update",
        targetType: "operator",
        targetId: before.id,
        before: operatorAudit(
          before,
          before.realms.map((r) => r.realmId),
        ),
        after: operatorAudit(after, realmIds),
      });
      return after;
    });
    return { message: `Operator ${op.username} saved.` };
  },
});

export const setOperatorPassword = defineCommand({
  name: "operator.password",
  deniedStatus: 403,
  schema: z.object({ operatorId: id, password }),
  authorize: (ctx) => canManageOperators(ctx.actor),
  async run(ctx, input) {
    const passwordHash = await hashPassword(input.password);
    const op = await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.operator.findUnique({
        where: { id: input.operatorId },
        select: { id: true, username: true },
      });
      if (!before) throw new ConsoleError(404, "Not found.");
      // A new epoch ends every console session of that operator (lib/auth/current-actor.ts).
      await tx.operator.update({ where: { id: before.id }, data: { passwordHash, sessionEpoch: { increment: 1 } } });
      await recordAudit(tx, ctx, {
        action: "operator.password",
        targetType: "operator",
        targetId: before.id,
        after: { password: "changed" },
      });
      return before;
    });
    return { message: `Password of ${op.username} changed.` };
  },
});
