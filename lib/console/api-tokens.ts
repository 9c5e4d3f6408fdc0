// Operators' API tokens (console page /console/api-tokens): each operator creates and revokes
// their own; administrators see and may revoke everyone's. A token's scope never exceeds its
// owner's rights: an administrator's role only for an administrator, realms only among the
// owner's (checked here at creation and again on every request in lib/auth/api-tokens.ts).
import { z } from "zod";
import { OperatorRole, type PrismaClient } from "../generated/prisma/client.ts";
import { newApiToken, hashApiToken } from "../auth/api-tokens.ts";
import { canManageOperators, type Actor } from "../domain/permissions.ts";
import { recordAudit } from "./audit.ts";
import { ConsoleError, defineCommand, FIX_FIELDS } from "./command.ts";
import { id } from "./form.ts";

const realmIdList = z.preprocess(
  (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
  z.array(z.string().min(1).max(300)).max(1000),
);

export const TOKEN_EXPIRY_CHOICES = { "30": "30 days", "90": "90 days", "365": "1 year", never: "Never" } as const;

export type ApiTokenState = "active" | "revoked" | "expired";
export function apiTokenState(t: { revokedAt: Date | null; expiresAt: Date | null }, now = new Date()): ApiTokenState {
  if (t.revokedAt) return "revoked";
  return t.expiresAt && t.expiresAt <= now ? "expired" : "active";
}

/** The actor's own tokens; an administrator (signed in, not through a token) sees everyone's. */
export async function listApiTokens(prisma: PrismaClient, actor: Actor) {
  const all = canManageOperators(actor) && !actor.apiToken;
  return prisma.operatorApiToken.findMany({
    where: all ? {} : { operatorId: actor.id },
    orderBy: [{ revokedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
    omit: { tokenHash: true },
    include: { operator: { select: { username: true } } },
    take: 500,
  });
}

export const createApiToken = defineCommand({
  name: "operator.api-token-create",
  schema: z.object({
    name: z
      .string()
      .trim()
      .min(1, "Give the token a name (what uses it).")
      .max(80, "Name must be at most 80 characters."),
    role: z.enum(OperatorRole, { error: "Choose a scope." }).default("REALM_OPERATOR"),
    realmIds: realmIdList,
    expiresIn: z.enum(["30", "90", "365", "never"], { error: "Choose when the token expires." }).default("90"),
  }),
  // Tokens are made in the console by a signed-in operator, never with another token.
  authorize: (ctx) => !ctx.actor.apiToken,
  async run(ctx, input) {
    const { token, prefix } = newApiToken();
    const created = await ctx.prisma.$transaction(async (tx) => {
      const op = await tx.operator.findUnique({
        where: { id: ctx.actor.id },
        include: { realms: { select: { realmId: true } } },
      });
      if (!op || op.disabled) throw new ConsoleError(404, "Not found.");
      const errors: Record<string, string[]> = {};
      if (input.role === "ADMIN" && op.role !== "ADMIN")
        errors.role = ["Only an administrator can give a token the administrator scope."];
      let realmIds: string[] = [];
      if (input.role === "REALM_OPERATOR") {
        realmIds = [...new Set(input.realmIds)];
        const own = new Set(op.realms.map((r) => r.realmId));
        const existing = new Set(
          (await tx.realm.findMany({ where: { id: { in: realmIds } }, select: { id: true } })).map((r) => r.id),
        );
        if (!realmIds.length) errors.realmIds = ["Choose at least one realm the token may act on."];
        else if (realmIds.some((r) => !existing.has(r) || (op.role !== "ADMIN" && !own.has(r))))
          errors.realmIds = ["A token can only be given realms you operate."];
      }
      if (Object.keys(errors).length) throw new ConsoleError(400, FIX_FIELDS, errors);
      const expiresAt =
        input.expiresIn === "never" ? null : new Date(Date.now() + Number(input.expiresIn) * 86_400_000);
      const row = await tx.operatorApiToken.create({
        data: {
          operatorId: op.id,
          name: input.name,
          tokenHash: hashApiToken(token),
          prefix,
          role: input.role,
          realmIds,
          ownerRole: op.role,
          ownerEpoch: op.sessionEpoch,
          expiresAt,
        },
      });
      await recordAudit(tx, ctx, {
        action: "operator.api-token-create",
        targetType: "api-token",
        targetId: row.id,
        after: { name: row.name, prefix, role: row.role, realmIds, expiresAt, operator: op.username },
      });
      return row;
    });
    return {
      message: "API token created. Copy it now: it is shown only once.",
      data: { tokenId: created.id, token, prefix },
    };
  },
});

export const revokeApiToken = defineCommand({
  name: "operator.api-token-revoke",
  schema: z.object({ tokenId: id }),
  async authorize(ctx, input) {
    const t = await ctx.prisma.operatorApiToken.findUnique({
      where: { id: input.tokenId },
      select: { operatorId: true },
    });
    return t !== null && (t.operatorId === ctx.actor.id || canManageOperators(ctx.actor));
  },
  async run(ctx, input) {
    const name = await ctx.prisma.$transaction(async (tx) => {
      // Conditional: a second revoke (or a race) changes nothing and writes no second entry.
      const r = await tx.operatorApiToken.updateManyAndReturn({
        where: { id: input.tokenId, revokedAt: null },
        data: { revokedAt: new Date() },
        include: { operator: { select: { username: true } } },
      });
      const t = r[0] ?? (await tx.operatorApiToken.findUniqueOrThrow({ where: { id: input.tokenId } }));
      if (r[0])
        await recordAudit(tx, ctx, {
          action: "operator.api-token-revoke",
          targetType: "api-token",
          targetId: t.id,
          before: { name: t.name, prefix: t.prefix, revokedAt: null },
          after: { name: t.name, prefix: t.prefix, revokedAt: t.revokedAt, operator: r[0].operator.username },
        });
      return t.name;
    });
    return { message: `API token "${name}" revoked.` };
  },
});
