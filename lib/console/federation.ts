// The management server's realm registry, as seen by administrators: known realms and their
// keys, approval / revocation, and enrollment tokens (stored as sha256, shown once). The
// management daemon picks changes up from CHANNELS.registry.
import { z } from "zod";
import { KnownRealmStatus, type PrismaClient } from "../generated/prisma/client.ts";
import { CHANNELS, notify } from "../db/notify.ts";
import { canManageFederation } from "../domain/permissions.ts";
import { recordAudit } from "./audit.ts";
import { ConsoleError, defineCommand } from "./command.ts";
import { id, intField, trimmed } from "./form.ts";
import { hashCode, newCode } from "../domain/registration.ts";

export async function listKnownRealms(prisma: PrismaClient) {
  return prisma.knownRealm.findMany({
    orderBy: [{ status: "asc" }, { realmId: "asc" }],
    include: { keys: { orderBy: { validFrom: "desc" } } },
  });
}

export async function listEnrollmentTokens(prisma: PrismaClient) {
  return prisma.enrollmentToken.findMany({ orderBy: { createdAt: "desc" }, take: 100, omit: { tokenHash: true } });
}

export type TokenState = "unused" | "used" | "expired";
export function tokenState(t: { usedAt: Date | null; expiresAt: Date }, now = new Date()): TokenState {
  if (t.usedAt) return "used";
  return t.expiresAt <= now ? "expired" : "unused";
}

export const setKnownRealmStatus = defineCommand({
  name: "federation.realm-status",
  schema: z.object({ realmId: id, status: z.enum(KnownRealmStatus) }),
  authorize: (ctx) => canManageFederation(ctx.actor),
  async run(ctx, input) {
    await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.knownRealm.findUnique({ where: { realmId: input.realmId } });
      if (!before) throw new ConsoleError(404, "Not found.");
      const after = await tx.knownRealm.update({
        where: { realmId: before.realmId },
        data: { status: input.status, revokedAt: input.status === "REVOKED" ? new Date() : null },
      });
      await recordAudit(tx, ctx, {
        action: `federation.realm-${input.status.toLowerCase()}`,
        targetType: "known-realm",
        targetId: before.realmId,
        before,
        after,
      });
      await notify(tx, CHANNELS.registry, before.realmId);
    });
    const verb = { APPROVED: "approved", REVOKED: "revoked", PENDING: "set back to pending" }[input.status];
    return { message: `Realm ${input.realmId} ${verb}.` };
  },
});

export const revokeKnownRealmKey = defineCommand({
  name: "federation.key-revoke",
  schema: z.object({ keyId: id }),
  authorize: (ctx) => canManageFederation(ctx.actor),
  async run(ctx, input) {
    const key = await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.knownRealmKey.findUnique({ where: { id: input.keyId } });
      if (!before) throw new ConsoleError(404, "Not found.");
      if (before.revokedAt) return before;
      const after = await tx.knownRealmKey.update({ where: { id: before.id }, data: { revokedAt: new Date() } });
      await recordAudit(tx, ctx, {
        action: "federation.key-revoke",
        targetType: "known-realm-key",
        targetId: before.id,
        before,
        after,
      });
      await notify(tx, CHANNELS.registry, before.realmId);
      return after;
    });
    return { message: `Key ${key.fingerprint.slice(0, 16)}… of ${key.realmId} revoked.` };
  },
});

export const createEnrollmentToken = defineCommand({
  name: "federation.token-create",
  schema: z.object({
    realmId: trimmed(300, "Realm id")
      .refine((v) => v === "" || /^[A-Za-z0-9.-]+:\d{1,5}$/.test(v), "Use host:port, or leave it blank for any realm.")
      .default(""),
    expiresInHours: intField(1, 24 * 30, "Validity"),
  }),
  authorize: (ctx) => canManageFederation(ctx.actor),
  async run(ctx, input) {
    const token = newCode(24);
    const created = await ctx.prisma.$transaction(async (tx) => {
      const row = await tx.enrollmentToken.create({
        data: {
          tokenHash: hashCode(token),
          realmId: input.realmId || null,
          expiresAt: new Date(Date.now() + input.expiresInHours * 3_600_000),
          createdBy: ctx.actor.username,
        },
      });
      await recordAudit(tx, ctx, {
        action: "federation.token-create",
        targetType: "enrollment-token",
        targetId: row.id,
        after: row,
      });
      await notify(tx, CHANNELS.registry, row.realmId ?? "");
      return row;
    });
    return {
      message: "Enrollment token created. Copy it now: it is shown only once.",
      data: { tokenId: created.id, token },
    };
  },
});

export const revokeEnrollmentToken = defineCommand({
  name: "federation.token-revoke",
  schema: z.object({ tokenId: id }),
  authorize: (ctx) => canManageFederation(ctx.actor),
  async run(ctx, input) {
    await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.enrollmentToken.findUnique({ where: { id: input.tokenId } });
      if (!before) throw new ConsoleError(404, "Not found.");
      if (before.usedAt || before.expiresAt <= new Date()) return;
      const after = await tx.enrollmentToken.update({ where: { id: before.id }, data: { expiresAt: new Date() } });
      await recordAudit(tx, ctx, {
        action: "federation.token-revoke",
        targetType: "enrollment-token",
        targetId: before.id,
        before,
        after,
      });
      await notify(tx, CHANNELS.registry, before.realmId ?? "");
    });
    return { message: "Enrollment token revoked." };
  },
});

/**
 * Asks the realm daemon for a new key pair for one of this install's realms (private keys never
 * leave the daemon, so the console only sends the request). With federation the daemon
 * publishes the new key to the management server; the old key stays valid for an overlap window.
 */
export const rotateRealmKey = defineCommand({
  name: "realm.key-rotate",
  schema: z.object({ realmId: id }),
  authorize: (ctx) => canManageFederation(ctx.actor),
  async run(ctx, input) {
    const realm = await ctx.prisma.realm.findUnique({
      where: { id: input.realmId },
      select: { id: true, status: true },
    });
    if (!realm) throw new ConsoleError(404, "Not found.");
    if (realm.status !== "ACTIVE")
      throw new ConsoleError(409, "The realm is disabled: no daemon serves it, so none can make its new key.");
    const requestedAt = new Date().toISOString();
    await ctx.prisma.$transaction(async (tx) => {
      await recordAudit(tx, ctx, {
        action: "realm.key-rotate",
        targetType: "realm",
        targetId: realm.id,
        realmId: realm.id,
        after: { requestedAt },
      });
      await notify(tx, CHANNELS.keyRotation, { realmId: realm.id, requestedAt });
    });
    return {
      message:
        "Key rotation requested: the realm daemon makes the new key within a second; the old one stays valid for 24 hours.",
    };
  },
});
