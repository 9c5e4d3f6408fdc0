// First-start seed: the two default realms from the design and a first console administrator.
// Idempotent: a realm or operator that exists is left exactly as the operator last set it.
import crypto from "node:crypto";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { hashPassword } from "../auth/password.ts";

const MB = 1024n * 1024n;
const GB = 1024n * MB;

export interface SeedOptions {
  publicHost: string;
  adminUsername: string;
  /** When absent and the administrator does not exist yet, a password is generated. */
  adminPassword?: string;
  /** hCaptcha keys for the OpenGroove realm; without them it uses the self-hosted ALTCHA captcha. */
  hcaptchaSiteKey?: string;
  hcaptchaSecret?: string;
}

export interface SeedResult {
  createdRealms: string[];
  /** Set only when the administrator was created now with a generated password (shown once). */
  generatedAdminPassword?: string;
  adminCreated: boolean;
}

export function defaultRealms(opts: SeedOptions) {
  const hcaptcha = Boolean(opts.hcaptchaSiteKey && opts.hcaptchaSecret);
  return [
    {
      id: `${opts.publicHost}:63745`,
      host: opts.publicHost,
      port: 63745,
      slug: "opengroove",
      name: "OpenGroove",
      description: "The public OpenGroove realm: open registration behind a captcha.",
      registrationMode: "OPEN" as const,
      captchaProvider: hcaptcha ? ("HCAPTCHA" as const) : ("ALTCHA" as const),
      hcaptchaSiteKey: hcaptcha ? opts.hcaptchaSiteKey! : null,
      hcaptchaSecret: hcaptcha ? opts.hcaptchaSecret! : null,
      userCap: 500,
      defaultQuotaBytes: 100n * MB,
    },
    {
      id: `${opts.publicHost}:63741`,
      host: opts.publicHost,
      port: 63741,
      slug: "trivergia",
      name: "Trivergia",
      description: "Trivergia's private realm, for people who work for Trivergia. Registration by invitation.",
      registrationMode: "INVITE" as const,
      captchaProvider: "NONE" as const,
      hcaptchaSiteKey: null,
      hcaptchaSecret: null,
      userCap: 10,
      defaultQuotaBytes: 5n * GB,
    },
  ];
}

export async function seed(prisma: PrismaClient, opts: SeedOptions): Promise<SeedResult> {
  const createdRealms: string[] = [];
  for (const realm of defaultRealms(opts)) {
    // Keyed by slug: a realm the operator renamed or re-hosted is not created again.
    const existing = await prisma.realm.findUnique({ where: { slug: realm.slug } });
    if (existing) continue;
    const r = await prisma.realm.createMany({ data: [realm], skipDuplicates: true });
    if (r.count > 0) createdRealms.push(realm.id);
  }

  let generatedAdminPassword: string | undefined;
  let adminCreated = false;
  const admin = await prisma.operator.findUnique({ where: { username: opts.adminUsername } });
  if (!admin) {
    const password = opts.adminPassword ?? crypto.randomBytes(15).toString("base64url");
    const r = await prisma.operator.createMany({
      data: [{ username: opts.adminUsername, passwordHash: await hashPassword(password), role: "ADMIN" }],
      skipDuplicates: true,
    });
    adminCreated = r.count > 0;
    if (adminCreated && !opts.adminPassword) generatedAdminPassword = password;
  }
  if (createdRealms.length || adminCreated) {
    await prisma.auditLog.create({
      data: {
        actorLabel: "system:seed",
        action: "seed",
        targetType: "platform",
        targetId: "seed",
        after: { createdRealms, adminCreated },
      },
    });
  }
  return { createdRealms, generatedAdminPassword, adminCreated };
}
