// Operators' export and deletion of one realm user's account (the same domain rules the user
// has on /account). Both are audited; deletion goes through the console command pattern.
import type pg from "pg";
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { db } from "../db/client.ts";
import { deleteAccount } from "../domain/account-deletion.ts";
import { openAccountExport, type AccountExport } from "../domain/account-export.ts";
import { canManageUsers, type Actor } from "../domain/permissions.ts";
import { actorLabel } from "./audit.ts";
import { defineCommand, ConsoleError, type CommandContext } from "./command.ts";
import { id } from "./form.ts";
import { formatBytes } from "../format/bytes.ts";

async function userRealm(prisma: PrismaClient, userId: string) {
  return prisma.user.findUnique({ where: { id: userId }, select: { realmId: true, username: true } });
}

async function authorize(prisma: PrismaClient, actor: Actor, userId: string): Promise<boolean> {
  const u = await userRealm(prisma, userId);
  return u !== null && canManageUsers(actor, u.realmId);
}

const poolOf = (ctx: { pool?: pg.Pool }) => ctx.pool ?? db().pool;

export const deleteUserAccount = defineCommand({
  name: "user.delete",
  schema: z.object({ userId: id, confirm: z.string().max(200) }),
  authorize: (ctx, input) => authorize(ctx.prisma, ctx.actor, input.userId),
  async run(ctx: CommandContext & { pool?: pg.Pool }, input) {
    const u = (await userRealm(ctx.prisma, input.userId))!;
    if (input.confirm.trim().toLowerCase() !== u.username.toLowerCase())
      throw new ConsoleError(400, "Please correct the highlighted fields.", {
        confirm: [`Type the username (${u.username}) to confirm.`],
      });
    const r = await deleteAccount(poolOf(ctx), input.userId, {
      id: ctx.actor.id,
      label: actorLabel(ctx.actor),
      ip: ctx.ip,
    });
    return {
      message: `${r.fullId} was deleted: ${formatBytes(r.bytesReleased)} released, ${r.messagesRetracted} message(s) retracted, ${r.workspacesLeft} workspace(s) left.`,
      data: { ...r, bytesReleased: r.bytesReleased.toString() },
    };
  },
});

/** An operator's download of a user's export: null when the actor may not see the user (404). */
export async function operatorExportUser(
  ctx: CommandContext & { pool?: pg.Pool },
  userId: string,
): Promise<AccountExport | null> {
  if (!(await authorize(ctx.prisma, ctx.actor, userId))) return null;
  const u = (await userRealm(ctx.prisma, userId))!;
  const out = await openAccountExport(poolOf(ctx), userId);
  await ctx.prisma.auditLog.create({
    data: {
      actorId: ctx.actor.id,
      actorLabel: actorLabel(ctx.actor),
      action: "user.export",
      targetType: "user",
      targetId: userId,
      realmId: u.realmId,
      after: { bytes: out.contentBytes },
      ip: ctx.ip,
    },
  });
  return out;
}
