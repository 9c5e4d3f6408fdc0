// Realms: list, read, create, edit. Every write is audited and announced on CHANNELS.realm so
// the realm daemons apply it without a restart. Lowering a cap or quota below current use is
// allowed; the result carries warnings and nothing is deleted.
import { z } from "zod";
import {
  CaptchaProvider,
  RealmStatus,
  RegistrationMode,
  type Prisma,
  type PrismaClient,
  type Realm,
} from "../generated/prisma/client.ts";
import { CHANNELS, notify } from "../db/notify.ts";
import {
  canChangeRealmStatus,
  canCreateRealm,
  canEditRealm,
  visibleRealmIds,
  type Actor,
} from "../domain/permissions.ts";
import { parseUserId } from "../domain/usernames.ts";
import { recordAudit } from "./audit.ts";
import { ConsoleError, defineCommand, FIX_FIELDS } from "./command.ts";
import { checkbox, id, intField, optionalIntField, sizeField, sizeUnit, toBytes, trimmed } from "./form.ts";
import { formatBytes } from "../format/bytes.ts";

const emailOrBlank = z
  .string()
  .trim()
  .max(200)
  .refine((v) => v === "" || z.email().safeParse(v).success, "Enter a valid email address, or leave it blank.");

const settingsShape = {
  name: z.string().trim().min(1, "Name is required.").max(80, "Name must be at most 80 characters."),
  description: trimmed(500, "Description").default(""),
  contactEmail: emailOrBlank.default(""),
  contactUserId: trimmed(200, "Contact user")
    .refine(
      (v) => v === "" || parseUserId(v) !== null,
      "Enter a full user id (realm host:port::username, e.g. example.com:63745::alice), or leave it blank.",
    )
    .default(""),
  registrationMode: z.enum(RegistrationMode, { error: "Choose a registration mode." }),
  captchaProvider: z.enum(CaptchaProvider, { error: "Choose a captcha provider." }),
  hcaptchaSiteKey: trimmed(200, "Site key").default(""),
  /** Write-only: blank keeps the stored secret. */
  hcaptchaSecret: z.string().trim().max(200, "Secret must be at most 200 characters.").default(""),
  clearHcaptchaSecret: checkbox,
  userCap: intField(0, 10_000_000, "User cap"),
  defaultQuota: sizeField("Default quota"),
  defaultQuotaUnit: sizeUnit,
  maxComputersPerUser: intField(1, 1000, "Computers per user"),
  messageRetentionDays: intField(1, 3650, "Message retention"),
  imessageRatePerMinute: intField(0, 100_000, "Immediate-message rate"),
  /** Messages one user may hold created but not yet sent (drafts); each is charged its overhead. */
  maxUnsentMessagesPerUser: intField(1, 100_000, "Unsent messages per user"),
  workspaceInactivityDays: intField(1, 3650, "Workspace inactivity"),
  maxWorkspaceChange: sizeField("Largest workspace change"),
  maxWorkspaceChangeUnit: sizeUnit,
  /** Legacy TLS profile for original 2008 clients (weak; docs/configuration.md). Blank = off. */
  legacyTlsPort: optionalIntField(1, 65535, "Legacy TLS port"),
};

export const createRealmSchema = z.object({
  host: z
    .string()
    .trim()
    .toLowerCase()
    .min(1, "Host is required.")
    .max(253)
    .regex(/^[a-z0-9.-]+$|^\[[0-9a-f:]+\]$/, "Use a host name or address (letters, digits, dots, hyphens)."),
  port: intField(1, 65535, "Port"),
  slug: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z][a-z0-9-]{1,31}$/, "2–32 lower-case letters, digits or hyphens, starting with a letter."),
  status: z.enum(RealmStatus).default("ACTIVE"),
  ...settingsShape,
});

export const updateRealmSchema = z.object({
  realmId: id,
  status: z.enum(RealmStatus).optional(),
  ...settingsShape,
});

type Settings = z.output<typeof updateRealmSchema>;

function settingsData(input: Settings | z.output<typeof createRealmSchema>) {
  return {
    name: input.name,
    description: input.description,
    contactEmail: input.contactEmail,
    contactUserId: input.contactUserId,
    registrationMode: input.registrationMode,
    captchaProvider: input.captchaProvider,
    hcaptchaSiteKey: input.hcaptchaSiteKey || null,
    userCap: input.userCap,
    defaultQuotaBytes: toBytes(input.defaultQuota, input.defaultQuotaUnit),
    maxComputersPerUser: input.maxComputersPerUser,
    messageRetentionDays: input.messageRetentionDays,
    imessageRatePerMinute: input.imessageRatePerMinute,
    maxUnsentMessagesPerUser: input.maxUnsentMessagesPerUser,
    workspaceInactivityDays: input.workspaceInactivityDays,
    maxWorkspaceChangeBytes: toBytes(input.maxWorkspaceChange, input.maxWorkspaceChangeUnit),
    legacyTlsPort: input.legacyTlsPort,
  };
}

/** The legacy TLS port must be its own port: the realm port keeps the modern TLS profile. */
function checkLegacyPort(legacyTlsPort: number | null, realmPort: number): void {
  if (legacyTlsPort !== null && legacyTlsPort === realmPort) {
    throw new ConsoleError(400, FIX_FIELDS, {
      legacyTlsPort: ["Use another port than the realm port (the legacy profile needs its own port)."],
    });
  }
}

/** hCaptcha needs a site key and a secret (already stored, or given now). */
function checkCaptcha(
  input: Settings | z.output<typeof createRealmSchema>,
  storedSecret: string | null,
): string | null {
  const secret = input.hcaptchaSecret || (input.clearHcaptchaSecret ? null : storedSecret);
  if (input.captchaProvider === "HCAPTCHA") {
    const errors: Record<string, string[]> = {};
    if (!input.hcaptchaSiteKey) errors.hcaptchaSiteKey = ["hCaptcha needs a site key."];
    if (!secret) errors.hcaptchaSecret = ["hCaptcha needs a secret."];
    if (Object.keys(errors).length) throw new ConsoleError(400, FIX_FIELDS, errors);
  }
  return secret;
}

/** Warnings for limits set below what is already in use (allowed, but shown clearly). */
export async function usageWarnings(
  prisma: Prisma.TransactionClient,
  realm: Pick<Realm, "id" | "userCap" | "userCount" | "defaultQuotaBytes">,
): Promise<string[]> {
  const warnings: string[] = [];
  if (realm.userCap < realm.userCount) {
    warnings.push(
      `The user cap (${realm.userCap}) is below the ${realm.userCount} accounts that already exist. Nobody is removed; new signups are refused until the count drops below the cap.`,
    );
  }
  const over = await prisma.user.count({
    where: { realmId: realm.id, quotaBytes: null, bytesUsed: { gt: realm.defaultQuotaBytes } },
  });
  if (over > 0) {
    warnings.push(
      `${over} user${over === 1 ? " stores" : "s store"} more than the default quota (${formatBytes(realm.defaultQuotaBytes)}). Nothing is deleted; they cannot store more until they are under it.`,
    );
  }
  return warnings;
}

export const createRealm = defineCommand({
  name: "realm.create",
  deniedStatus: 403,
  schema: createRealmSchema,
  authorize: (ctx) => canCreateRealm(ctx.actor),
  async run(ctx, input) {
    const realmId = `${input.host}:${input.port}`;
    const secret = checkCaptcha(input, null);
    checkLegacyPort(input.legacyTlsPort, input.port);
    const clash = await ctx.prisma.realm.findFirst({
      where: { OR: [{ id: realmId }, { slug: input.slug }] },
      select: { id: true, slug: true },
    });
    if (clash) {
      const fieldErrors: Record<string, string[]> =
        clash.slug === input.slug
          ? { slug: ["Another realm uses this short name."] }
          : { port: [`A realm already exists at ${realmId}.`] };
      throw new ConsoleError(409, "That realm already exists.", fieldErrors);
    }
    const realm = await ctx.prisma.$transaction(async (tx) => {
      const created = await tx.realm.create({
        data: {
          id: realmId,
          host: input.host,
          port: input.port,
          slug: input.slug,
          status: input.status,
          ...settingsData(input),
          hcaptchaSecret: secret,
        },
      });
      await recordAudit(tx, ctx, {
        action: "realm.create",
        targetType: "realm",
        targetId: realmId,
        realmId,
        after: created,
      });
      await notify(tx, CHANNELS.realm, realmId);
      return created;
    });
    return { message: `Realm ${realm.name} created.`, data: { realmId: realm.id, slug: realm.slug } };
  },
});

export const updateRealm = defineCommand({
  name: "realm.update",
  schema: updateRealmSchema,
  authorize: (ctx, input) => canEditRealm(ctx.actor, input.realmId),
  async run(ctx, input) {
    const { warnings, realm } = await ctx.prisma.$transaction(async (tx) => {
      const before = await tx.realm.findUnique({ where: { id: input.realmId } });
      if (!before) throw new ConsoleError(404, "Not found.");
      if (input.status && input.status !== before.status && !canChangeRealmStatus(ctx.actor, before.id)) {
        throw new ConsoleError(400, FIX_FIELDS, {
          status: ["Only an administrator can enable or disable a realm."],
        });
      }
      const secret = checkCaptcha(input, before.hcaptchaSecret);
      checkLegacyPort(input.legacyTlsPort, before.port);
      const after = await tx.realm.update({
        where: { id: before.id },
        data: { ...settingsData(input), hcaptchaSecret: secret, ...(input.status ? { status: input.status } : {}) },
      });
      await recordAudit(tx, ctx, {
        action: "realm.update",
        targetType: "realm",
        targetId: before.id,
        realmId: before.id,
        before,
        after,
      });
      await notify(tx, CHANNELS.realm, before.id);
      return { realm: after, warnings: await usageWarnings(tx, after) };
    });
    return { message: `Settings of ${realm.name} saved.`, warnings, data: { realmId: realm.id, slug: realm.slug } };
  },
});

/** Realm fields safe to hand to a page: the hCaptcha secret is reduced to "is one stored". */
export type RealmView = Omit<Realm, "hcaptchaSecret"> & { hasHcaptchaSecret: boolean };

export function toRealmView(realm: Realm): RealmView {
  const { hcaptchaSecret, ...rest } = realm;
  return { ...rest, hasHcaptchaSecret: Boolean(hcaptchaSecret) };
}

export async function listRealms(prisma: PrismaClient, actor: Actor): Promise<RealmView[]> {
  const visible = visibleRealmIds(actor);
  const realms = await prisma.realm.findMany({
    where: visible ? { id: { in: visible } } : {},
    orderBy: { name: "asc" },
  });
  return realms.map(toRealmView);
}

/** A realm by slug if the actor may see it, else null (callers answer 404). */
export async function findVisibleRealm(prisma: PrismaClient, actor: Actor, slug: string): Promise<RealmView | null> {
  const realm = await prisma.realm.findUnique({ where: { slug } });
  if (!realm || !canEditRealm(actor, realm.id)) return null;
  return toRealmView(realm);
}
