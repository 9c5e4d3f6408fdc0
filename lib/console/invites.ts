// Invites for private realms. The code is random, shown once (as a signup link), and stored
// only as sha256 in codeHash; the signup pages count pending/completed uses. Registration reads
// invites from the database when it happens, so no daemon needs a notification.
import { z } from "zod";
import type { Invite, PrismaClient } from "../generated/prisma/client.ts";
import { canManageInvites } from "../domain/permissions.ts";
import { recordAudit } from "./audit.ts";
import { ConsoleError, defineCommand } from "./command.ts";
import { id, intField, trimmed } from "./form.ts";
import { hashCode, newCode } from "../domain/registration.ts";

export type InviteState = "active" | "revoked" | "expired" | "used up";

export function inviteState(
  invite: Pick<Invite, "revokedAt" | "expiresAt" | "completed" | "usesAllowed">,
  now = new Date(),
): InviteState {
  if (invite.revokedAt) return "revoked";
  if (invite.expiresAt && invite.expiresAt <= now) return "expired";
  if (invite.completed >= invite.usesAllowed) return "used up";
  return "active";
}

/** Relative signup link carrying the invite code (the page adds its own origin). */
export function inviteLinkPath(slug: string, code: string): string {
  return `/signup/${encodeURIComponent(slug)}?invite=${encodeURIComponent(code)}`;
}

export async function listInvites(prisma: PrismaClient, realmId: string) {
  const [invites, totals] = await Promise.all([
    prisma.invite.findMany({ where: { realmId }, orderBy: { createdAt: "desc" }, take: 200, omit: { codeHash: true } }),
    prisma.invite.aggregate({ where: { realmId }, _sum: { pending: true, completed: true }, _count: true }),
  ]);
  return { invites, pending: totals._sum.pending ?? 0, completed: totals._sum.completed ?? 0, total: totals._count };
}

export const EXPIRY_CHOICES = {
  "1": "1 day",
  "7": "7 days",
  "30": "30 days",
  "90": "90 days",
  never: "Never",
} as const;

export const createInvite = defineCommand({
  name: "invite.create",
  schema: z.object({
    realmId: id,
    usesAllowed: intField(1, 10_000, "Number of uses"),
    expiresIn: z.enum(["1", "7", "30", "90", "never"], { error: "Choose when the invite expires." }),
    note: trimmed(200, "Note").default(""),
  }),
  authorize: (ctx, input) => canManageInvites(ctx.actor, input.realmId),
  async run(ctx, input) {
    const code = newCode();
    const expiresAt = input.expiresIn === "never" ? null : new Date(Date.now() + Number(input.expiresIn) * 86_400_000);
    const { invite, slug } = await ctx.prisma.$transaction(async (tx) => {
      const realm = await tx.realm.findUnique({ where: { id: input.realmId }, select: { slug: true } });
      if (!realm) throw new ConsoleError(404, "Not found.");
      const created = await tx.invite.create({
        data: {
          realmId: input.realmId,
          codeHash: hashCode(code),
          usesAllowed: input.usesAllowed,
          expiresAt,
          note: input.note,
          createdByOperatorId: ctx.actor.id,
        },
      });
      await recordAudit(tx, ctx, {
        action: "invite.create",
        targetType: "invite",
        targetId: created.id,
        realmId: input.realmId,
        after: created,
      });
      return { invite: created, slug: realm.slug };
    });
    return {
      message: "Invite created. Copy the link now: it is shown only once.",
      data: { inviteId: invite.id, code, link: inviteLinkPath(slug, code) },
    };
  },
});

export const revokeInvite = defineCommand({
  name: "invite.revoke",
  schema: z.object({ inviteId: id }),
  async authorize(ctx, input) {
    const invite = await ctx.prisma.invite.findUnique({ where: { id: input.inviteId }, select: { realmId: true } });
    return invite !== null && canManageInvites(ctx.actor, invite.realmId);
  },
  async run(ctx, input) {
    await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.invite.findUniqueOrThrow({ where: { id: input.inviteId } });
      if (before.revokedAt) return;
      const after = await tx.invite.update({ where: { id: before.id }, data: { revokedAt: new Date() } });
      await recordAudit(tx, ctx, {
        action: "invite.revoke",
        targetType: "invite",
        targetId: before.id,
        realmId: before.realmId,
        before,
        after,
      });
    });
    return { message: "Invite revoked." };
  },
});
