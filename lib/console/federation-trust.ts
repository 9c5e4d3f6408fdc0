// Federation trust in the console (issue #12): the management server's own key (fingerprint to
// hand out with enrollment tokens, rotation with an overlap), the management key each realm of
// this install pinned, and key claims: an enrolled realm presented a key the registry does not
// know. Accepting a claim is the lost-/stolen-key recovery: the claimed key becomes the realm's
// key and every other key of the realm is revoked at once, audited with both fingerprints.
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { CHANNELS, notify } from "../db/notify.ts";
import { canManageFederation } from "../domain/permissions.ts";
import { MANAGEMENT_KEY_OVERLAP_MS } from "../federation/management-key.ts";
import { managementVouchPayload, sign } from "../federation/signing.ts";
import { generateRealmKey } from "../realm/keys.ts";
import { recordAudit } from "./audit.ts";
import { ConsoleError, defineCommand } from "./command.ts";
import { id } from "./form.ts";

export async function listManagementKeys(prisma: PrismaClient) {
  return prisma.managementKey.findMany({
    where: { revokedAt: null, OR: [{ validUntil: null }, { validUntil: { gt: new Date() } }] },
    orderBy: { validFrom: "desc" },
  });
}

export async function listManagementPins(prisma: PrismaClient) {
  return prisma.managementPin.findMany({ orderBy: { address: "asc" } });
}

/** Open claims, each with the realm's current key fingerprints next to the claimed one. */
export async function listKeyClaims(prisma: PrismaClient) {
  const claims = await prisma.realmKeyClaim.findMany({ where: { decidedAt: null }, orderBy: { createdAt: "asc" } });
  const now = new Date();
  const keys = await prisma.knownRealmKey.findMany({
    where: {
      realmId: { in: claims.map((c) => c.realmId) },
      revokedAt: null,
      OR: [{ validUntil: null }, { validUntil: { gt: now } }],
    },
  });
  return claims.map((c) => ({
    ...c,
    currentFingerprints: keys.filter((k) => k.realmId === c.realmId).map((k) => k.fingerprint),
  }));
}

export const rotateManagementKey = defineCommand({
  name: "federation.management-key-rotate",
  schema: z.object({}),
  authorize: (ctx) => canManageFederation(ctx.actor),
  async run(ctx) {
    // Made where the management server keeps its keys (this database), vouched for by the current
    // key; the management daemon switches its TLS certificate within seconds (tls-identity.ts).
    const k = await generateRealmKey("management-server", "localhost");
    const until = new Date(Date.now() + MANAGEMENT_KEY_OVERLAP_MS);
    const previous = await ctx.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('management-key'))`;
      const now = new Date();
      const cur = await tx.managementKey.findFirst({
        where: { revokedAt: null, OR: [{ validUntil: null }, { validUntil: { gt: now } }] },
        orderBy: { validFrom: "desc" },
        include: { secret: true },
      });
      const created = await tx.managementKey.create({
        data: {
          publicKeyPem: k.publicKeyPem,
          fingerprint: k.fingerprint,
          tlsCertPem: k.certPem,
          tlsFingerprint: k.tlsFingerprint,
          vouchedBy: cur?.fingerprint ?? null,
          vouch: cur?.secret ? sign(cur.secret.privateKeyPem, managementVouchPayload(k.fingerprint)) : null,
          secret: { create: { privateKeyPem: k.privateKeyPem } },
        },
      });
      await tx.managementKey.updateMany({
        where: { id: { not: created.id }, revokedAt: null, OR: [{ validUntil: null }, { validUntil: { gt: until } }] },
        data: { validUntil: until },
      });
      await recordAudit(tx, ctx, {
        action: "federation.management-key-rotate",
        targetType: "management-key",
        targetId: created.id,
        before: { fingerprint: cur?.fingerprint ?? null },
        after: { fingerprint: k.fingerprint, previousValidUntil: until.toISOString() },
      });
      return cur;
    });
    return {
      message: `New management key sha256 ${k.fingerprint}.${previous ? ` The previous key stays valid until ${until.toISOString()}; realms and clients that pinned it follow the rotation.` : ""}`,
      data: { fingerprint: k.fingerprint },
    };
  },
});

export const decideKeyClaim = defineCommand({
  name: "federation.key-claim",
  schema: z.object({ claimId: id, decision: z.enum(["accept", "reject"]) }),
  authorize: (ctx) => canManageFederation(ctx.actor),
  async run(ctx, input) {
    const claim = await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.realmKeyClaim.findUnique({ where: { id: input.claimId } });
      if (!before) throw new ConsoleError(404, "Not found.");
      if (before.decidedAt) throw new ConsoleError(409, `This claim was already ${before.decision}.`);
      const decided = await tx.realmKeyClaim.updateMany({
        where: { id: before.id, decidedAt: null },
        data: { decidedAt: new Date(), decision: `${input.decision}ed`, decidedBy: ctx.actor.username },
      });
      if (!decided.count) throw new ConsoleError(409, "This claim was decided meanwhile.");
      const current = await tx.knownRealmKey.findMany({ where: { realmId: before.realmId, revokedAt: null } });
      if (input.decision === "accept") {
        // Recovery: the old keys may be lost or stolen, so they stop counting now (no overlap).
        await tx.knownRealmKey.updateMany({
          where: { realmId: before.realmId, revokedAt: null },
          data: { revokedAt: new Date() },
        });
        await tx.knownRealmKey.upsert({
          where: { realmId_fingerprint: { realmId: before.realmId, fingerprint: before.fingerprint } },
          create: {
            realmId: before.realmId,
            publicKeyPem: before.publicKeyPem,
            fingerprint: before.fingerprint,
            tlsFingerprint: before.tlsFingerprint,
          },
          update: { revokedAt: null, validUntil: null },
        });
        await tx.knownRealm.update({ where: { realmId: before.realmId }, data: { address: before.address } });
      }
      await recordAudit(tx, ctx, {
        action: `federation.key-claim-${input.decision}`,
        targetType: "known-realm",
        targetId: before.realmId,
        before: { keys: current.map((k) => k.fingerprint) },
        after: { claimed: before.fingerprint, decision: input.decision, address: before.address },
      });
      await notify(tx, CHANNELS.registry, before.realmId);
      return before;
    });
    return {
      message:
        input.decision === "accept"
          ? `Key ${claim.fingerprint.slice(0, 16)}… is now the key of ${claim.realmId}; its previous keys are revoked.`
          : `Claim for ${claim.realmId} rejected; its keys are unchanged.`,
    };
  },
});
