// Accounts created by an operator (any registration mode: the way to onboard people on a
// private realm without inviting oneself). The account starts with a random password nobody
// knows and a one-time set-password link the operator hands over; a new link can be issued
// later for an existing user. The realm's user cap holds (same conditional UPDATE as signup).
import crypto from "node:crypto";
import { z } from "zod";
import { Prisma } from "../generated/prisma/client.ts";
import { hashPassword } from "../auth/password.ts";
import { canManageUsers } from "../domain/permissions.ts";
import { issueSetPasswordLink, LINK_EXPIRY_DAYS, type LinkExpiry } from "../domain/set-password-links.ts";
import { checkUsername, foldUsername, formatUserId } from "../domain/usernames.ts";
import { recordAudit } from "./audit.ts";
import { ConsoleError, defineCommand, FIX_FIELDS, isUniqueViolation } from "./command.ts";
import { id } from "./form.ts";

const expiresIn = z
  .enum(Object.keys(LINK_EXPIRY_DAYS) as [LinkExpiry, ...LinkExpiry[]], { error: "Choose when the link expires." })
  .default("7");

const TAKEN = "This username is taken on this realm (or looks like one that is); choose another.";

export const createUser = defineCommand({
  name: "user.create",
  schema: z.object({
    realmId: id,
    username: z
      .string()
      .trim()
      .min(1, "Username is required.")
      .max(200)
      .superRefine((v, ctx) => {
        const e = checkUsername(v);
        if (e) ctx.addIssue({ code: "custom", message: e.message });
      }),
    expiresIn,
  }),
  authorize: (ctx, input) => canManageUsers(ctx.actor, input.realmId),
  async run(ctx, input) {
    const username = input.username.normalize("NFKC");
    // Nobody knows this password: the user chooses theirs through the link.
    const passwordHash = await hashPassword(crypto.randomBytes(32).toString("base64url"));
    try {
      const out = await ctx.prisma.$transaction(
        async (tx) => {
          const realm = await tx.realm.findUnique({ where: { id: input.realmId }, select: { id: true } });
          if (!realm) throw new ConsoleError(404, "Not found.");
          const taken = await tx.user.findUnique({
            where: { realmId_usernameKey: { realmId: realm.id, usernameKey: foldUsername(username) } },
            select: { id: true },
          });
          if (taken) throw new ConsoleError(409, FIX_FIELDS, { username: [TAKEN] });
          const room = await tx.$executeRaw`
          UPDATE realms SET "userCount" = "userCount" + 1 WHERE id = ${realm.id} AND "userCount" < "userCap"`;
          if (room === 0)
            throw new ConsoleError(
              409,
              "This realm has reached its user cap; raise the cap in the realm's settings first.",
            );
          const user = await tx.user.create({
            data: { realmId: realm.id, username, usernameKey: foldUsername(username), passwordHash },
          });
          const link = await issueSetPasswordLink(tx, user.id, Number(input.expiresIn), ctx.actor.id);
          await recordAudit(tx, ctx, {
            action: "user.create",
            targetType: "user",
            targetId: user.id,
            realmId: realm.id,
            after: { username, status: user.status, setPasswordLinkExpiresAt: link.expiresAt },
          });
          return { user, link };
          // Concurrent creates queue on the realm row's lock (the cap); give them time to.
        },
        { maxWait: 10_000, timeout: 20_000 },
      );
      return {
        message: `${out.user.username} created. Send them the set-password link now: it is shown only once.`,
        data: {
          userId: out.user.id,
          username: out.user.username,
          fullId: formatUserId(out.user.realmId, out.user.username),
          link: out.link.path,
          expiresAt: out.link.expiresAt,
        },
      };
    } catch (e) {
      // Two operators creating the same name at once: the unique index decides.
      if (isUniqueViolation(e)) throw new ConsoleError(409, FIX_FIELDS, { username: [TAKEN] });
      if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2034")
        throw new ConsoleError(409, "Someone else changed this realm at the same time; try again.");
      throw e;
    }
  },
});

export const issuePasswordLink = defineCommand({
  name: "user.set-password-link",
  schema: z.object({ userId: id, expiresIn }),
  async authorize(ctx, input) {
    const u = await ctx.prisma.user.findUnique({ where: { id: input.userId }, select: { realmId: true } });
    return u !== null && canManageUsers(ctx.actor, u.realmId);
  },
  async run(ctx, input) {
    const out = await ctx.prisma.$transaction(async (tx) => {
      const user = await tx.user.findUniqueOrThrow({ where: { id: input.userId } });
      const link = await issueSetPasswordLink(tx, user.id, Number(input.expiresIn), ctx.actor.id);
      await recordAudit(tx, ctx, {
        action: "user.set-password-link",
        targetType: "user",
        targetId: user.id,
        realmId: user.realmId,
        after: { setPasswordLinkExpiresAt: link.expiresAt },
      });
      return { user, link };
    });
    return {
      message: `Set-password link for ${out.user.username} (shown only once; their current password keeps working until they use it):`,
      data: { userId: out.user.id, link: out.link.path, expiresAt: out.link.expiresAt },
    };
  },
});
