// Realms and invites for signup tests (integration and e2e), created through Prisma.
import type { CaptchaProvider, PrismaClient, RegistrationMode } from "../../lib/generated/prisma/client.ts";
import { hashCode } from "../../lib/domain/registration.ts";

export interface RealmFixture {
  slug: string;
  name?: string;
  port: number;
  registrationMode: RegistrationMode;
  captchaProvider?: CaptchaProvider;
  hcaptchaSiteKey?: string;
  hcaptchaSecret?: string;
  userCap?: number;
  host?: string;
  contactEmail?: string;
}

export async function createRealm(prisma: PrismaClient, f: RealmFixture): Promise<string> {
  const host = f.host ?? "realm.test";
  const id = `${host}:${f.port}`;
  await prisma.realm.create({
    data: {
      id,
      host,
      port: f.port,
      slug: f.slug,
      name: f.name ?? f.slug[0].toUpperCase() + f.slug.slice(1),
      description: `Test realm ${f.slug}`,
      contactEmail: f.contactEmail ?? "",
      registrationMode: f.registrationMode,
      captchaProvider: f.captchaProvider ?? "NONE",
      hcaptchaSiteKey: f.hcaptchaSiteKey ?? null,
      hcaptchaSecret: f.hcaptchaSecret ?? null,
      userCap: f.userCap ?? 100,
      defaultQuotaBytes: 100n * 1024n * 1024n,
    },
  });
  return id;
}

export async function createInvite(
  prisma: PrismaClient,
  realmId: string,
  code: string,
  usesAllowed: number,
): Promise<string> {
  const invite = await prisma.invite.create({ data: { realmId, codeHash: hashCode(code), usesAllowed } });
  return invite.id;
}
