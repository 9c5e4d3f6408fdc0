// Console commands for a realm's help documents (served to clients by listhelpdocuments and
// gethelpdocument): save (create or replace) and delete, each with an audit row. Realm
// operators who may edit the realm may edit its help.
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { canEditRealm } from "../domain/permissions.ts";
import { HELP_LIMITS, helpPathProblem } from "../domain/help-documents.ts";
import { recordAudit } from "./audit.ts";
import { ConsoleError, defineCommand } from "./command.ts";
import { id } from "./form.ts";

const path = z
  .string()
  .trim()
  .min(1, "Enter a path, e.g. /getting-started.")
  .superRefine((v, ctx) => {
    const problem = helpPathProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: `${problem[0].toUpperCase()}${problem.slice(1)}.` });
  });

const body = z
  .string()
  .min(1, "Write the document (HTML).")
  .refine((v) => Buffer.byteLength(v) <= HELP_LIMITS.maxBodyBytes, {
    message: `A help document has at most ${HELP_LIMITS.maxBodyBytes / 1024} KiB.`,
  });

export async function listHelpDocumentsForConsole(prisma: PrismaClient, realmId: string) {
  return prisma.helpDocument.findMany({ where: { realmId }, orderBy: { path: "asc" } });
}

export const saveHelpDocument = defineCommand({
  name: "help.save",
  schema: z.object({ realmId: id, path, body }),
  authorize: (ctx, input) => canEditRealm(ctx.actor, input.realmId),
  async run(ctx, input) {
    const created = await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.helpDocument.findUnique({
        where: { realmId_path: { realmId: input.realmId, path: input.path } },
      });
      if (
        !before &&
        (await tx.helpDocument.count({ where: { realmId: input.realmId } })) >= HELP_LIMITS.maxDocumentsPerRealm
      )
        throw new ConsoleError(409, `A realm has at most ${HELP_LIMITS.maxDocumentsPerRealm} help documents.`);
      const after = await tx.helpDocument.upsert({
        where: { realmId_path: { realmId: input.realmId, path: input.path } },
        create: { realmId: input.realmId, path: input.path, body: input.body },
        update: { body: input.body, updatedAt: new Date() },
      });
      await recordAudit(tx, ctx, {
        action: before ? "help.update" : "help.create",
        targetType: "help",
        targetId: input.path,
        realmId: input.realmId,
        before: before ?? undefined,
        after,
      });
      return !before;
    });
    return { message: `Help document ${input.path} ${created ? "created" : "saved"}.` };
  },
});

export const deleteHelpDocument = defineCommand({
  name: "help.delete",
  schema: z.object({ realmId: id, path }),
  authorize: (ctx, input) => canEditRealm(ctx.actor, input.realmId),
  async run(ctx, input) {
    await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.helpDocument.findUnique({
        where: { realmId_path: { realmId: input.realmId, path: input.path } },
      });
      if (!before) throw new ConsoleError(404, `There is no help document ${input.path}.`);
      await tx.helpDocument.delete({ where: { realmId_path: { realmId: input.realmId, path: input.path } } });
      await recordAudit(tx, ctx, {
        action: "help.delete",
        targetType: "help",
        targetId: input.path,
        realmId: input.realmId,
        before,
      });
    });
    return { message: `Help document ${input.path} deleted.` };
  },
});
